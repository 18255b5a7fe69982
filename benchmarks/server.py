"""A fast loopback proxy that serves a generated detikInet (benchmarks/sitegen.py).

It behaves like tests/replica (same role: an HTTP proxy that answers for inet.detik.com itself,
``CONNECT inet.detik.com:443`` tunnels with TLS terminated by a self-signed certificate from
tests.replica.server.self_signed_context, plus absolute-URI ``GET http://inet.detik.com/...``),
but it is an asyncio server rendering pages on the fly from the template (~0.2 ms a page) instead
of tests/replica's thread-per-connection http.server, and it can fork several worker processes
sharing one listening socket (``--workers``).

Requests made to it as a plain web server (``GET /_stats``) answer a JSON count of what it served;
``GET /_reset`` zeroes the counts.

    python -m benchmarks.server --articles 5000 --port 8898 [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import multiprocessing
import os
import signal
import socket
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from benchmarks.sitegen import HOST, Site

KINDS = ("robots", "index", "article", "not_found", "other")


class Counters:
    """Requests served by kind, shared by all worker processes (slots written by one worker each)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.array = multiprocessing.RawArray(ctypes.c_long, workers * len(KINDS))
        self.worker = 0

    def add(self, kind: str) -> None:
        self.array[self.worker * len(KINDS) + KINDS.index(kind)] += 1

    def totals(self) -> dict[str, int]:
        return {kind: sum(self.array[w * len(KINDS) + k] for w in range(self.workers))
                for k, kind in enumerate(KINDS)}

    def reset(self) -> None:
        for n in range(len(self.array)):
            self.array[n] = 0


async def read_request_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
    """(method, target, headers with lower-case names) of the next request, or None at the end of
    the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


class Server:
    def __init__(self, site: Site, counters: Counters):
        from tests.replica.render import ROBOTS_TXT
        from tests.replica.server import self_signed_context

        self.site = site
        self.counters = counters
        self.tls = self_signed_context(HOST)
        self.robots = ROBOTS_TXT.encode()
        site.templates  # build the templates before forking

    def answer(self, target: str) -> tuple[int, bytes, str]:
        parts = urlsplit(target)
        path = parts.path or "/"
        if path == "/robots.txt":
            self.counters.add("robots")
            return 200, self.robots, "text/plain; charset=UTF-8"
        if path.rstrip("/") == "/indeks":
            query = parse_qs(parts.query)
            page_text = query.get("page", ["1"])[0]
            page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
            try:
                day = datetime.strptime(query["date"][0], "%m/%d/%Y").date()
            except (KeyError, ValueError):
                day = self.site.last_day
            self.counters.add("index")
            return 200, self.site.index_html(day, page), "text/html; charset=UTF-8"
        article = self.site.article_by_path(path)
        if article is not None:
            self.counters.add("article")
            return 200, self.site.article_html(article), "text/html; charset=UTF-8"
        self.counters.add("not_found")
        return 404, b"<html><body><h1>404</h1></body></html>", "text/html; charset=UTF-8"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tunnel = False
        try:
            while True:
                request = await read_request_head(reader)
                if request is None:
                    return
                method, target, headers = request
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    if tunnel or host.lower() != HOST or port != "443":
                        self.counters.add("other")
                        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        await writer.drain()
                        return
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await writer.drain()
                    await writer.start_tls(self.tls)
                    tunnel = True
                    continue
                if tunnel:
                    url_target = target
                elif target.startswith("http://"):
                    parts = urlsplit(target)
                    if (parts.hostname or "").lower() != HOST:
                        self.counters.add("other")
                        self._send(writer, 502, b"", "text/plain")
                        await writer.drain()
                        continue
                    url_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                else:
                    self._send(writer, *self._control(target))
                    await writer.drain()
                    continue
                status, body, content_type = self.answer(url_target)
                self._send(writer, status, b"" if method == "HEAD" else body, content_type, len(body))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, OSError, asyncio.CancelledError):
            return
        finally:
            try:
                writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass

    def _control(self, target: str) -> tuple[int, bytes, str]:
        if target.startswith("/_reset"):
            self.counters.reset()
        if target.startswith(("/_stats", "/_reset")):
            return 200, json.dumps(self.counters.totals()).encode(), "application/json"
        return 400, f"this is an HTTP proxy for {HOST}\n".encode(), "text/plain"

    @staticmethod
    def _send(writer, status: int, body: bytes, content_type: str, length: int | None = None) -> None:
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 502: "Bad Gateway"}.get(status, "")
        writer.write(f"HTTP/1.1 {status} {reason}\r\nServer: detik-bench/1\r\nContent-Type: {content_type}\r\n"
                     f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode("latin-1"))
        writer.write(body)


def _serve(server: Server, sock: socket.socket) -> None:
    """Serve until SIGTERM or SIGINT."""
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        listener = await asyncio.start_server(server.handle, sock=sock, limit=1 << 16, backlog=1024)
        async with listener:
            await stop.wait()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0, help="on 127.0.0.1 (0: any free port)")
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the listening socket")
    args = parser.parse_args()
    site = Site(args.articles)
    counters = Counters(args.workers)
    server = Server(site, counters)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    sock.setblocking(False)
    children = []
    for worker in range(1, args.workers):
        pid = os.fork()
        if pid == 0:
            counters.worker = worker
            _serve(server, sock)
            os._exit(0)
        children.append(pid)

    def stop_children() -> None:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass

    port = sock.getsockname()[1]
    print(json.dumps({"port": port, "pids": [os.getpid(), *children], "since": site.first_day.isoformat(),
                      "until": site.last_day.isoformat(), "articles": site.n}), flush=True)
    try:
        _serve(server, sock)
    finally:
        stop_children()


if __name__ == "__main__":
    main()
