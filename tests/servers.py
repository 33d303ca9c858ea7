"""Run an ASGI app with uvicorn on a free loopback port, in a thread (tests and `make run`)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(uvicorn.Server):
    """Remembers its event loop, so other threads can run coroutines in the app's own loop."""

    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)


class ServerThread:
    """A real HTTP server, so the stand-in and the app talk HTTP to each other as in production."""

    def __init__(self, app: object, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.02)
        return self.url

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._server.loop is not None, "server not started"
        return self._server.loop

    def run(self, coro):  # type: ignore[no-untyped-def]
        """Run a coroutine in the server's loop (where the app's HTTP clients live) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
