"""A lean HTTP/1.1 load generator: ``clients`` keep-alive connections, each sending GETs in a loop.

httpx's client costs about 4 ms of CPU a request; against a trivial route (/heartbeat) it tops
out near 250 requests/s on this 2-core machine, so 20 httpx clients measure the client, not the
app. Like wrk, this writes the request bytes once and reads the answer with the length it gives;
it runs in its own process (bench/pages.py) so it does not share the server's interpreter lock.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit


def load(
    url: str, path: str, headers: dict[str, str], clients: int, seconds: float
) -> tuple[list[float], int]:
    """Latencies (ms) of every answered request, and the failures (non-200 or broken answers)."""
    return asyncio.run(_load(url, path, headers, clients, seconds))


async def _load(
    url: str, path: str, headers: dict[str, str], clients: int, seconds: float
) -> tuple[list[float], int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal failures
        while time.monotonic() < deadline:
            start = time.perf_counter()
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                status = await _answer(reader)
                latencies.append((time.perf_counter() - start) * 1000)
                failures += status != 200
            except (OSError, ValueError, asyncio.IncompleteReadError):
                failures += 1
            finally:
                writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, failures


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one answer; its status. Pages answer with Content-Length (no chunked bodies here)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    length = next((int(f.split(":", 1)[1]) for f in fields if f.lower().startswith("content-length:")), None)
    if length is None:
        raise ValueError("answer without Content-Length")
    await reader.readexactly(length)
    return int(status_line.split(" ", 2)[1])
