"""``python -m tests.app.admin.fuzz_server``: what ``make dev`` serves (page, public and admin API, emulated
AWS and Cognito), without the picture worker, in a process of its own for the fuzz test. Prints one JSON line
(``url``, ``username``, ``password``) once it answers, and stops on SIGINT or SIGTERM.

The worker is left out because it turns every upload into variants in this same process, and the fuzzer
uploads hundreds of pictures: the work would slow the APIs under test without testing anything more."""

from __future__ import annotations

import json
import signal
import sys
import threading

from app.local import LocalServer


def main() -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with LocalServer(worker=False) as local:
        assert local.cognito is not None
        print(json.dumps({"url": local.url, "username": local.cognito.username,
                          "password": local.cognito.password}), flush=True)
        stop.wait(timeout=600)  # a bound, should the test die without stopping it
    return 0


if __name__ == "__main__":
    sys.exit(main())
