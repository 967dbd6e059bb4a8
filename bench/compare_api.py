"""The HTTP layer of bench/compare.py: `graphsvc serve` run, called over keep-alive, and wrk."""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    rss_mb,
)
from bench.compare_layers import Neo
from bench.compare_ops import API_PORT, Op, Result, api_path, api_result

WRK_SCRIPT = """
local paths = {%s}
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"errors": %%d, "non2xx": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
"""


class Api:
    """`graphsvc serve` with n workers, on loopback, for the Neo4j of the environment."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{API_PORT}"

    def __enter__(self) -> "Api":
        graphsvc = str(Path(sys.executable).with_name("graphsvc"))
        # no access log: a proxy in front logs in production (README's settings table)
        env = {**os.environ, "GRAPHSVC_API_KEYS": "", "GRAPHSVC_ACCESS_LOG": "false"}
        self.proc = subprocess.Popen(
            [graphsvc, "serve", "--port", str(API_PORT), "--workers", str(self.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("the API did not become ready in 60 s")

    def __exit__(self, *_: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself, or uvicorn's worker children
        (not the supervisor, nor multiprocessing's small helper)."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split() if rss_mb(int(p)) > 30]

    def wrk(self, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
        script = WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(script)
        peak: dict[int, float] = {}
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.25):
                for pid in self.worker_pids():
                    peak[pid] = max(peak.get(pid, 0.0), rss_mb(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            out = subprocess.run(
                [
                    "wrk",
                    "-t",
                    str(min(2, connections)),
                    "-c",
                    str(connections),
                    "-d",
                    f"{round(seconds)}s",
                    "--timeout",
                    "60s",
                    "-s",
                    f.name,
                    self.base,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            stop.set()
            sampler.join()
            os.unlink(f.name)
        line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
        r = json.loads(line[4:])
        return {
            "p50_ms": round(r["p50_us"] / 1000, 3),
            "p95_ms": round(r["p95_us"] / 1000, 3),
            "qps": round(r["requests"] / (r["duration_us"] / 1e6), 1),
            "n": r["requests"],
            "errors": r["errors"],
            "non2xx": r["non2xx"],
            "rss_mb_max_per_worker": round(max(peak.values(), default=0.0), 1),
        }


# -- the run ------------------------------------------------------------------------------------
class ApiClient:
    """The API as one more layer: one keep-alive HTTP/1.1 connection, one request at a time.

    The standard library's `http.client`, not httpx: the layer measures the service, and httpx's
    pure-Python request machinery cost ~0.4-0.5 ms per request on the shared 2-core box (GET
    /health: 1.00 ms through httpx, 0.52 ms through http.client, same server, interleaved), which
    the API column then carried on every operation. The body is still read and parsed as JSON."""

    def __init__(self, base: str, neo: Neo) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.neo = neo

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed the kept-alive connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def run(self, op: Op, case: dict[str, str]) -> Result:
        status, body = self.get(api_path(op, case, self.neo))
        if status not in (200, 404):
            return ("HTTP", status, body[:200].decode(errors="replace"))
        return api_result(op, status, json.loads(body))

    def close(self) -> None:
        self.conn.close()


def run_wrk(
    args: argparse.Namespace,
    plans: list[tuple[Op, list[dict[str, str]]]],
    neo: Neo,
    results: list[dict[str, Any]],
) -> None:
    """Throughput under 8 concurrent connections, per worker count, and the workers' RSS."""
    by_name = {e["op"]: e for e in results}
    for workers in args.api_workers:
        with Api(workers) as api:
            for op, cases in plans:
                entry = by_name[op.name]
                # Only where one request takes under a second (else it only measures queueing),
                # long enough for a few passes over the cases.
                per_request = entry["driver"]["p50_ms"] / 1000
                if per_request >= 1.0:
                    continue
                paths = [api_path(op, c, neo) for c in cases]
                seconds = min(60.0, max(args.api_seconds, 3 * per_request * len(paths)))
                entry[f"api_w{workers}_c8"] = api.wrk(paths, 8, seconds)
                print(f"{op.name}: w{workers} c8 {entry[f'api_w{workers}_c8']}", file=sys.stderr)
