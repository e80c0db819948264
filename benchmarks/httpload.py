"""HTTP load from wrk, a C client, as pgbench is for the database (issue 25's benchmark).

A load generator written in Python spends about as much CPU per request as the server it measures,
on the same two cores; wrk spends a few microseconds. The bodies are made here (seeded, so a run
can be repeated) and written into a Lua script that sends them in turn; wrk's own summary gives
the count, the non-2xx answers and the latency percentiles. The CPU wrk used comes from the
kernel's account of the finished child (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

RESULT = "RESULT "

_SCRIPT = """
local bodies = {%(bodies)s}
local method = %(method)s
local headers = {%(headers)s}
local n = 0
request = function()
  n = n + 1
  if #bodies == 0 then return wrk.format(method, nil, headers) end
  return wrk.format(method, nil, headers, bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('%(result)s{"requests": %%d, "seconds": %%f, "status_errors": %%d, '
    .. '"socket_errors": %%d, "p50_us": %%d, "p95_us": %%d}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95)))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua(text: str) -> str:
    """``text`` as a Lua long string (no escaping inside; the level is chosen to not occur)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def run(
    url: str,
    *,
    seconds: int,
    clients: int,
    bodies: list[str] | None = None,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    threads: int = 2,
) -> dict[str, float]:
    """wrk against ``url`` for ``seconds`` with ``clients`` keep-alive connections; the bodies in turn.

    Answers ``requests``, ``per_s``, ``ok`` (2xx/3xx), ``errors`` (other statuses and socket errors),
    ``p50_ms``, ``p95_ms`` and ``client_cpu_s`` (wrk's own user + system CPU)."""
    script = _SCRIPT % {
        "bodies": ", ".join(_lua(b) for b in bodies or []),
        "method": _lua(method),
        "headers": ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in (headers or {}).items()),
        "result": RESULT,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load.lua"
        path.write_text(script)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            ["wrk", f"-t{min(threads, clients)}", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(path), url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in out.splitlines() if x.startswith(RESULT))
    figures = json.loads(line[len(RESULT) :])
    errors = figures["status_errors"] + figures["socket_errors"]
    return {
        "requests": figures["requests"],
        "per_s": figures["requests"] / figures["seconds"],
        "ok": figures["requests"] - figures["status_errors"],
        "errors": errors,
        "p50_ms": figures["p50_us"] / 1000,
        "p95_ms": figures["p95_us"] / 1000,
        "client_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    }
