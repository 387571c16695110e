"""`make load`: the API under gunicorn (4 workers sharing Redis) against the local tenant, driven by wrk.

Measures the same DRF view body with Bearer authentication (`/api/echo`, a pool of distinct tokens
rotated by a small Lua script) and without any (`/api/public-echo`), each for LOAD_SECONDS (default 30;
run as two halves in A-B-B-A order, so a drift of the machine's load hits both alike), then prints:

- both throughputs and p99 latencies, and their ratio (with auth / without);
- non-2xx: every measured request that did not get a 2xx — answers counted exactly by wrk's Lua
  `response` hook, plus requests that got no answer at all (wrk's socket errors);
- JWKS fetches: the requests for its JWKS the tenant served over the whole run, warm-up included
  (counted by the tenant itself, in its request log): 1 means the four workers shared one fetch;
- each worker's RSS growth between the end of the warm-up and the end of the run (VmRSS of the
  children of the gunicorn master).

The last line is `load: ratio=R non2xx=N jwks_fetches=F rss_growth_mib=M` (M: the largest growth).
Targets: ratio >= 0.85, non2xx = 0, jwks_fetches = 1, rss_growth_mib <= 20.
Environment: LOAD_SECONDS, LOAD_CONNECTIONS (16), LOAD_THREADS (2), LOAD_TOKENS (200), LOAD_WORKERS (4).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402

from testproject import servers  # noqa: E402

SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "16"))
THREADS = int(os.environ.get("LOAD_THREADS", "2"))
TOKENS = int(os.environ.get("LOAD_TOKENS", "200"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
WARMUP = min(5.0, max(2.0, SECONDS / 5))

AUTH_PATH = "/api/echo"
OPEN_PATH = "/api/public-echo"

# One script for both endpoints, so both pay the same Lua overhead: with a header file it
# rotates the Authorization headers of its lines, without one it sends none.
LUA = r"""
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  headers = {}
  if args[1] then
    for line in io.lines(args[1]) do
      if #line > 0 then table.insert(headers, line) end
    end
  end
  index = (id * 7919) % math.max(#headers, 1)
  non2xx = 0
end

function request()
  if #headers == 0 then
    return wrk.format(nil, nil, {})
  end
  index = index % #headers + 1
  return wrk.format(nil, nil, {["Authorization"] = headers[index]})
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local answered_badly = 0
  for _, thread in ipairs(threads) do
    answered_badly = answered_badly + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format("LOADRESULT requests=%d duration_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(99.0), answered_badly,
    e.connect + e.read + e.write + e.timeout))
end
"""

RESULT = re.compile(r"LOADRESULT requests=(\d+) duration_us=(\d+) p99_us=(\d+) non2xx=(\d+) socket_errors=(\d+)")


def wrk(url: str, seconds: float, script: str, header_file: str | None) -> dict:
    argv = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
            "--timeout", "5s", "-s", script, url]
    if header_file:
        argv += ["--", header_file]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    match = RESULT.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    requests_, duration_us, p99_us, non2xx, errors = (int(g) for g in match.groups())
    return {"requests": requests_, "seconds": duration_us / 1e6, "p99_ms": p99_us / 1000,
            "non2xx": non2xx, "socket_errors": errors}


def combine(runs: list[dict]) -> dict:
    total = {key: sum(run[key] for run in runs) for key in ("requests", "seconds", "non2xx", "socket_errors")}
    total["rps"] = total["requests"] / total["seconds"]
    total["p99_ms"] = max(run["p99_ms"] for run in runs)  # the worse half
    return total


def worker_pids(master: int) -> list[int]:
    try:
        with open(f"/proc/{master}/task/{master}/children") as handle:
            return sorted(int(pid) for pid in handle.read().split())
    except FileNotFoundError:  # kernels without CONFIG_PROC_CHILDREN
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        if int(handle.read().rsplit(")", 1)[1].split()[1]) == master:
                            pids.append(int(entry))
                except (OSError, IndexError, ValueError):
                    continue
        return sorted(pids)


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def check(api: str, tokens: list[str]) -> None:
    """The fleet answers as expected before it is measured."""
    expected = [(AUTH_PATH, {"Authorization": f"Bearer {tokens[0]}"}, 200), (AUTH_PATH, {}, 401),
                (OPEN_PATH, {}, 200)]
    for path, headers, status in expected:
        got = requests.get(api + path, headers=headers, timeout=10).status_code
        if got != status:
            raise RuntimeError(f"GET {path} answered {got}, expected {status}")


def main() -> int:
    if not shutil.which("wrk") or not servers.have("redis-server"):
        print("load: needs wrk and redis-server on PATH (apt-get install wrk redis-server)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as workdir:
        redis_port, api_port = servers.free_port(), servers.free_port()
        with servers.redis(redis_port, workdir), servers.local_tenant(workdir) as (tenant, env):
            env = {**env, "AUTH0_API_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "DJANGO_DEBUG": "0"}
            with servers.gunicorn(api_port, "testproject.settings", env, workers=WORKERS) as master:
                return measure(tenant, f"http://127.0.0.1:{api_port}", master.pid, workdir)


def measure(tenant, api: str, master: int, workdir: str) -> int:
    script = os.path.join(workdir, "rotate-authorization.lua")
    with open(script, "w") as handle:
        handle.write(LUA)
    tokens = [tenant.mint_token(f"auth0|load-{i}", scope="read:messages") for i in range(TOKENS)]
    header_file = os.path.join(workdir, "authorization-headers.txt")
    with open(header_file, "w") as handle:
        handle.write("".join(f"Bearer {token}\n" for token in tokens))

    check(api, tokens)
    print(f"load: {WORKERS} gunicorn workers sharing Redis, local tenant {tenant.issuer}, wrk {THREADS} threads "
          f"x {CONNECTIONS} connections, {SECONDS:g} s per endpoint after {WARMUP:g} s of warm-up each, "
          f"{TOKENS} distinct tokens", flush=True)
    wrk(api + AUTH_PATH, WARMUP, script, header_file)
    wrk(api + OPEN_PATH, WARMUP, script, None)

    pids = worker_pids(master)
    before = {pid: rss_kib(pid) for pid in pids}
    half = SECONDS / 2
    runs: dict[str, list[dict]] = {"open": [], "auth": []}
    for which in ("open", "auth", "auth", "open"):  # A-B-B-A
        if which == "auth":
            runs["auth"].append(wrk(api + AUTH_PATH, half, script, header_file))
        else:
            runs["open"].append(wrk(api + OPEN_PATH, half, script, None))
    after = {pid: rss_kib(pid) for pid in worker_pids(master)}

    open_, auth = combine(runs["open"]), combine(runs["auth"])
    ratio = auth["rps"] / open_["rps"]
    non2xx = sum(r["non2xx"] + r["socket_errors"] for r in (open_, auth))
    fetches = servers.served(tenant)
    growth = {pid: (after[pid] - before[pid]) / 1024 for pid in pids if before[pid] and after.get(pid)}
    restarted = sorted(set(pids) ^ set(after))

    for label, path, figures in (("without auth", OPEN_PATH, open_), ("with Bearer ", AUTH_PATH, auth)):
        print(f"  {label} {path:17s} {figures['rps']:9.1f} req/s  p99 {figures['p99_ms']:7.2f} ms  "
              f"non-2xx answers {figures['non2xx']}  socket errors {figures['socket_errors']}  "
              f"({figures['requests']} requests in {figures['seconds']:.1f} s)")
    print(f"  tenant served: {fetches['jwks']} JWKS, {fetches['discovery']} discovery (whole run, warm-up included)")
    print("  worker RSS growth after warm-up: "
          + ", ".join(f"pid {pid} {before[pid] / 1024:.1f} -> {after[pid] / 1024:.1f} MiB ({growth[pid]:+.2f})"
                      for pid in growth))
    if restarted:
        print(f"  workers restarted during the run (pids {restarted}): their growth is not counted")
    rss_growth = max(growth.values(), default=float("nan"))
    met = {"ratio>=0.85": ratio >= 0.85, "non2xx=0": non2xx == 0, "jwks_fetches=1": fetches["jwks"] == 1,
           "rss_growth_mib<=20": rss_growth <= 20 and not restarted}
    print("  targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in met.items()))
    print(f"load: ratio={ratio:.3f} non2xx={non2xx} jwks_fetches={fetches['jwks']} rss_growth_mib={rss_growth:.1f}")
    return 0


if __name__ == "__main__":
    servers.run_script(main)
