"""The site's CloudFront Function: the code CloudFront runs on every viewer request to the site's S3 behaviours
and to the admin API, written from components/edge/viewer_request.js and what the stack knows at deploy time.

- The admin allow-list, when the stack enforces it here rather than in a web ACL: an address outside it gets
  403 on `/admin/*` and `/api/admin/*` before the request reaches an origin.
- Directory paths serve their `index.html` (`/admin/` → `/admin/index.html`).
- A path the site bucket holds no object for gets the error page with 404, from the edge. The distribution has no
  custom error responses: those apply to every origin, and would turn the APIs' JSON 401, 403 and 404 answers into
  the HTML page.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).with_name("edge") / "viewer_request.js"
RUNTIME = "cloudfront-js-2.0"
# CloudFront's limit on a function's code.
MAX_CODE_BYTES = 10_240


def _range(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> dict[str, Any]:
    packed = network.network_address.packed
    groups = [int.from_bytes(packed[i:i + 2], "big") for i in range(0, len(packed), 2)]
    return {"family": network.version, "groups": groups, "prefix": network.prefixlen}


def function_code(*, guard: bool, allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
                  keys: Iterable[str], not_found_page: str) -> str:
    config = {"guard": guard, "allowed": [_range(n) for n in allowed], "keys": {k: 1 for k in sorted(keys)},
              "notFound": not_found_page}
    code = SOURCE.read_text().replace("__CONFIG__", json.dumps(config, ensure_ascii=False, separators=(",", ":")))
    size = len(code.encode())
    if size > MAX_CODE_BYTES:
        raise ValueError(f"the site's CloudFront Function would be {size} bytes, over CloudFront's "
                         f"{MAX_CODE_BYTES}: shorten the error page or the allow-list")
    return code
