"""Load benchmark of the catalogue API as `make dev` runs it (python -m app.local: API + page + emulated
AWS in one process), driven over loopback.

    .venv/bin/python bench/api_load.py [--clients 20] [--seconds 6] [--rounds 3]

For /healthz, /api/items and one image it runs N keep-alive HTTP/1.1 clients for T seconds each, split into
interleaved rounds so that a change in the machine's load hits every endpoint alike, and prints requests/s,
p50/p99 latency, errors and the server's CPU time per request (which, unlike throughput, hardly depends on
what else the machine runs). Then the ratio of /api/items to /healthz throughput and the peak RSS of the
server. /api/items is measured twice: with the default scan cache (ITEMS_CACHE_SECONDS=2), and scanning
DynamoDB on every request (ITEMS_CACHE_SECONDS=0) in a second server started alongside.

Goal: /api/items at >= 50% of /healthz throughput, with p99 < 50 ms, at 20 clients.
Everything listens on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE_PATH = "/api/images/banana.jpg"


@dataclass
class Result:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu_seconds: float

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_seconds / self.requests * 1e6 if self.requests else float("nan")

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else float("nan")


class Server:
    """python -m app.local on a free loopback port, stopped with Ctrl-C (SIGINT) like a developer would."""

    def __init__(self, items_cache_seconds: float | None = None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env["PORT"] = str(self.port)
        if items_cache_seconds is not None:
            env["ITEMS_CACHE_SECONDS"] = str(items_cache_seconds)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (the server's stderr, open as long as it runs)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.local"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,  # one JSON line per request: written, as in production, then dropped
            stderr=self._stderr,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self._stderr.seek(0)
                detail = self._stderr.read().decode(errors="replace")
                raise SystemExit(f"the local server did not become ready within 30 s:\n{detail}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.lower()
    marker = headers.find(b"\r\ncontent-length:")
    if marker >= 0:
        end = headers.index(b"\r\n", marker + 2)
        await reader.readexactly(int(headers[marker + 17 : end]))
    elif b"transfer-encoding: chunked" in headers:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(port: int, path: str, deadline: float, latencies: list[float], failures: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                failures.append(status)
    finally:
        writer.close()


async def _drive(port: int, path: str, clients: int, seconds: float) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_client(port, path, deadline, latencies, failures) for _ in range(clients)))
    return latencies, failures, time.perf_counter() - started


def measure(server: Server, path: str, clients: int, seconds: float) -> Result:
    cpu_before = server.cpu_seconds()
    latencies, failures, elapsed = asyncio.run(_drive(server.port, path, clients, seconds))
    return Result(path, len(latencies), len(failures), elapsed, latencies, server.cpu_seconds() - cpu_before)


def combine(label: str, parts: list[Result]) -> Result:
    return Result(
        label,
        sum(part.requests for part in parts),
        sum(part.errors for part in parts),
        sum(part.seconds for part in parts),
        [latency for part in parts for latency in part.latencies],
        sum(part.server_cpu_seconds for part in parts),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent keep-alive clients (default 20)")
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per endpoint (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds the seconds are split into")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 0.5 <= args.seconds <= 60 or not 1 <= args.rounds <= 10:
        parser.error("--clients must be 1-200, --seconds 0.5-60 and --rounds 1-10")

    cached, uncached = Server(), Server(items_cache_seconds=0)
    phases = [
        ("/healthz", cached, "/healthz"),
        ("/api/items", cached, "/api/items"),
        ("image", cached, IMAGE_PATH),
        ("/api/items no cache", uncached, "/api/items"),
    ]
    parts: dict[str, list[Result]] = {label: [] for label, _, _ in phases}
    try:
        for _, server, path in phases:  # warm-up, not counted
            measure(server, path, args.clients, 0.5)
        # Endpoints take turns in short rounds, so a change in the machine's load hits them alike.
        for _ in range(args.rounds):
            for label, server, path in phases:
                parts[label].append(measure(server, path, args.clients, args.seconds / args.rounds))
        peak_rss = cached.peak_rss_mib()
        uncached_peak_rss = uncached.peak_rss_mib()
    finally:
        cached.stop()
        uncached.stop()
    results = [combine(label, parts[label]) for label, _, _ in phases]

    print(
        f"{args.clients} clients, {args.seconds:g} s per endpoint in {args.rounds} rounds, "
        "server: python -m app.local (API + moto in one process)"
    )
    print(f"{'endpoint':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'server CPU us/req':>19}")
    for result in results:
        print(
            f"{result.label:<22}{result.rate:>9.0f}{result.percentile(0.50):>9.1f}"
            f"{result.percentile(0.99):>9.1f}{result.errors:>8}{result.cpu_us_per_request:>19.0f}"
        )
    by_label = {result.label: result for result in results}
    health, items = by_label["/healthz"], by_label["/api/items"]
    ratio = items.rate / health.rate
    uncached_ratio = by_label["/api/items no cache"].rate / health.rate
    print(f"ratio /api/items / /healthz: {ratio:.2f} (no cache: {uncached_ratio:.2f})")
    print(f"server peak RSS: {peak_rss:.0f} MiB (no-cache server: {uncached_peak_rss:.0f} MiB)")
    met = ratio >= 0.5 and items.percentile(0.99) < 50 and not any(result.errors for result in results)
    print(f"goal (items >= 0.50 of healthz, items p99 < 50 ms, no errors): {'met' if met else 'NOT met'}")
    mean_items = statistics.fmean(items.latencies) * 1000 if items.latencies else float("nan")
    load = os.getloadavg()[0]
    print(f"mean /api/items latency: {mean_items:.1f} ms; load average now: {load:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
