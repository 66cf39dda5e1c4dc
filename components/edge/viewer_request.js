// CloudFront Function (cloudfront-js-2.0), viewer request, on the site's S3 behaviours and the admin API's.
// CONFIG is written by components/edge_function.py at deploy time:
//   guard    - the admin allow-list is enforced here (the stack has no web ACL doing it)
//   allowed  - [{family: 4|6, groups: [16-bit numbers], prefix: bits}], the admin allow-list
//   keys     - every object key the program uploads to the site bucket
//   notFound - the error page's HTML
var CONFIG = __CONFIG__;

var ADMIN_PATHS = ['/admin/', '/api/admin/'];

function parseIpv4(text) {
    var parts = text.split('.');
    if (parts.length !== 4) return null;
    var groups = [0, 0];
    for (var i = 0; i < 4; i++) {
        var value = parseInt(parts[i], 10);
        if (!(value >= 0 && value <= 255) || String(value) !== parts[i]) return null;
        groups[i >> 1] = (groups[i >> 1] << 8) | value;
    }
    return groups;
}

function parseIpv6(text) {
    var halves = text.split('::');
    if (halves.length > 2) return null;
    var head = halves[0] ? halves[0].split(':') : [];
    var tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
    // An IPv4-mapped tail (::ffff:192.0.2.1) counts as two groups.
    var last = tail.length ? tail : head;
    if (last.length && last[last.length - 1].indexOf('.') >= 0) {
        var v4 = parseIpv4(last.pop());
        if (!v4) return null;
        last.push(v4[0].toString(16), v4[1].toString(16));
    }
    var missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
    var words = head.slice();
    for (var z = 0; halves.length === 2 && z < missing; z++) words.push('0');
    words = words.concat(tail);
    var groups = [];
    for (var i = 0; i < words.length; i++) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(words[i])) return null;
        groups.push(parseInt(words[i], 16));
    }
    return groups.length === 8 ? groups : null;
}

function within(groups, range) {
    var remaining = range.prefix;
    for (var i = 0; i < range.groups.length && remaining > 0; i++) {
        var bits = remaining >= 16 ? 16 : remaining;
        var mask = (0xffff << (16 - bits)) & 0xffff;
        if ((groups[i] & mask) !== (range.groups[i] & mask)) return false;
        remaining -= bits;
    }
    return true;
}

function allowed(ip) {
    var family = ip.indexOf(':') >= 0 ? 6 : 4;
    var groups = family === 6 ? parseIpv6(ip) : parseIpv4(ip);
    if (!groups) return false;
    for (var i = 0; i < CONFIG.allowed.length; i++) {
        var range = CONFIG.allowed[i];
        if (range.family === family && within(groups, range)) return true;
    }
    return false;
}

function isAdmin(uri) {
    if (uri === '/admin') return true;
    for (var i = 0; i < ADMIN_PATHS.length; i++) {
        if (uri.indexOf(ADMIN_PATHS[i]) === 0) return true;
    }
    return false;
}

function forbidden(uri) {
    var api = uri.indexOf('/api/') === 0;
    return {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: {
            'content-type': {value: api ? 'application/json' : 'text/plain; charset=utf-8'},
            'cache-control': {value: 'no-store'}
        },
        body: api ? JSON.stringify({error: {code: 'forbidden', message: 'this address may not use the admin API'}})
                  : 'This address may not use the admin screen.'
    };
}

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (CONFIG.guard && isAdmin(uri) && !allowed(event.viewer.ip)) return forbidden(uri);
    if (uri.indexOf('/api/') === 0) return request;
    if (uri === '/admin') {
        return {statusCode: 301, statusDescription: 'Moved Permanently', headers: {location: {value: '/admin/'}}};
    }
    if (uri.charAt(uri.length - 1) === '/') uri += 'index.html';
    if (!CONFIG.keys[uri.substring(1)]) {
        return {
            statusCode: 404,
            statusDescription: 'Not Found',
            headers: {
                'content-type': {value: 'text/html; charset=utf-8'},
                'cache-control': {value: 'no-cache'}
            },
            body: CONFIG.notFound
        };
    }
    request.uri = uri;
    return request;
}
