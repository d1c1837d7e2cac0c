"""``xltop --serve-metrics [ADDR:]PORT``: the fleet's pollers behind a small HTTP server
that Prometheus scrapes (``GET /metrics``). Headless: never imports Textual.

Each scrape snapshots every host's poller at that moment (the pollers keep their own
cadence, so a scrape costs the hosts nothing) and renders the text off the event loop.
The server answers GET and HEAD on ``/metrics`` and ``/``, gzip when asked, and nothing
else; a request it cannot read is answered 400 and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from collectors.config import HostConfig, Settings
from collectors.fleet import FleetMember, build_fleet, close_fleet
from collectors.metrics import CONTENT_TYPE, CounterFloor, render
from collectors.parse.common import is_uint
from collectors.transport.base import Runner

MAX_REQUEST = 16 * 1024  # request line and headers
REQUEST_TIMEOUT_S = 10.0
INDEX = b"xltop metrics exporter: scrape /metrics\n"
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}
_log = logging.getLogger(__name__)


def parse_listen(text: str) -> tuple[str, int]:
    """``PORT``, ``ADDR:PORT`` or ``[IPv6]:PORT`` → (address, port); loopback by default."""
    addr, sep, port = text.rpartition(":")
    if not sep:
        addr = "127.0.0.1"
    addr = addr.removeprefix("[").removesuffix("]") if addr.startswith("[") else addr
    if not is_uint(port) or not 0 <= int(port) <= 65535:
        raise ValueError(f"not a port: {port!r} (expected PORT or ADDR:PORT)")
    if not addr or (":" in addr and not text.startswith("[")):
        raise ValueError(f"not an address: {text!r} (an IPv6 address goes in brackets)")
    return addr, int(port)


class MetricsServer:
    """Serves what ``metrics()`` renders over HTTP/1.1, one response per connection."""

    def __init__(self, metrics: Callable[[], Awaitable[str]]) -> None:
        self._metrics = metrics
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._handle, host, port, limit=MAX_REQUEST)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    head = await reader.readuntil(b"\r\n\r\n")
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                await _respond(writer, 400, b"unreadable request\n", head_only=False)
                return
            await self._answer(writer, head.decode("latin-1"))
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, writer: asyncio.StreamWriter, head: str) -> None:
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await _respond(writer, 400, b"not an HTTP/1.x request line\n", head_only=False)
            return
        method, target = parts[0], parts[1]
        head_only = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await _respond(writer, 405, b"only GET and HEAD\n", head_only=False,
                           extra=(("Allow", "GET, HEAD"),))
            return
        path = target.split("?", 1)[0]
        if path == "/":
            await _respond(writer, 200, INDEX, head_only=head_only)
        elif path == "/metrics":
            try:
                body = (await self._metrics()).encode("utf-8")
            except Exception as e:  # a bug must cost one scrape, not the exporter
                _log.exception("rendering the metrics failed")
                await _respond(writer, 500, f"rendering the metrics failed: {e!r}\n".encode(),
                               head_only=head_only)
                return
            extra: tuple[tuple[str, str], ...] = ()
            if accepts_gzip(header_lines):
                body = await asyncio.to_thread(gzip.compress, body, 5)
                extra = (("Content-Encoding", "gzip"),)
            await _respond(writer, 200, body, head_only=head_only, content_type=CONTENT_TYPE,
                           extra=extra)
        else:
            await _respond(writer, 404, b"not found: try /metrics\n", head_only=head_only)


def accepts_gzip(header_lines: Sequence[str]) -> bool:
    """Whether Accept-Encoding takes gzip: named, or ``*``, with a q-value above 0
    (``gzip;q=0`` refuses it, RFC 9110 12.5.3)."""
    weights: dict[str, float] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() != "accept-encoding":
            continue
        for item in value.split(","):
            coding, *params = (p.strip().lower() for p in item.split(";"))
            q = 1.0
            for p in params:
                key, _, v = p.partition("=")
                if key.strip() == "q":
                    try:
                        q = float(v)
                    except ValueError:
                        q = 0.0  # unreadable: not an acceptance
            weights[coding] = q
    q = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    return q > 0


async def _respond(writer: asyncio.StreamWriter, status: int, body: bytes, *, head_only: bool,
                   content_type: str = "text/plain; charset=utf-8",
                   extra: Sequence[tuple[str, str]] = ()) -> None:
    headers = [f"HTTP/1.1 {status} {REASONS[status]}", f"Content-Type: {content_type}",
               f"Content-Length: {len(body)}", "Connection: close",
               *(f"{k}: {v}" for k, v in extra)]
    writer.write(("\r\n".join(headers) + "\r\n\r\n").encode("latin-1"))
    if not head_only:
        writer.write(body)
    await writer.drain()


async def serve(hosts: list[HostConfig], settings: Settings, runners: dict[str, Runner],
                listen: tuple[str, int]) -> int:
    """Poll the fleet and serve its metrics until interrupted."""
    members = build_fleet(hosts, settings, runners)
    for m in members:
        m.poller.start()
    server = MetricsServer(_Scraper(members))
    try:
        try:
            port = await server.start(*listen)
        except OSError as e:
            print(f"xltop: cannot listen on {listen[0]}:{listen[1]}: {e.strerror or e}",
                  file=sys.stderr)
            return 2
        shown = f"[{listen[0]}]" if ":" in listen[0] else listen[0]
        print(f"xltop: serving Prometheus metrics of {len(members)} host(s) on "
              f"http://{shown}:{port}/metrics (Ctrl-C stops)", file=sys.stderr, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await server.close()
        await close_fleet(members)
    return 0


class _Scraper:
    """Every poller's snapshot now, rendered off the loop; scrapes one after another (the
    counter floor compares each with the one before)."""

    def __init__(self, members: Sequence[FleetMember]) -> None:
        self._members = members
        self._floor = CounterFloor()
        self._lock = asyncio.Lock()

    async def __call__(self) -> str:
        async with self._lock:
            snaps = [m.poller.snapshot() for m in self._members]
            return await asyncio.to_thread(render, snaps, self._floor)
