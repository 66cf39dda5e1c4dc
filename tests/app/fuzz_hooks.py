"""Schemathesis hooks for the fuzz test (loaded with SCHEMATHESIS_HOOKS=tests.app.fuzz_hooks).

The admin API's picture upload documents its body as a JPEG, PNG or WebP file. A fuzzer cannot know
file formats, so without these strategies its "valid" bodies would be random bytes that the API rightly
refuses; with them, the positive cases are files of the declared type (signature plus arbitrary bytes),
and the negative cases still send every other kind of body."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

SIGNATURES = {
    "image/jpeg": st.just(b"\xff\xd8\xff\xe0"),
    "image/png": st.just(b"\x89PNG\r\n\x1a\n"),
    "image/webp": st.binary(min_size=4, max_size=4).map(lambda size: b"RIFF" + size + b"WEBPVP8 "),
}

for media_type, signature in SIGNATURES.items():
    schemathesis.openapi.media_type(
        media_type, st.tuples(signature, st.binary(max_size=256)).map(lambda parts: parts[0] + parts[1])
    )
