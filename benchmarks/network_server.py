"""A loopback proxy that serves the whole generated detik network (benchmarks/networkgen.py) slowly,
as the real servers would: every answer waits a latency drawn from 150-400 ms.

Like benchmarks/server.py (whose counters, response writer and serve loop it imports), it is an
asyncio HTTP proxy on 127.0.0.1: ``CONNECT <host>:443`` is accepted for every host of newscrawl's
detik declaration (the ten channel subdomains and www.detik.com, where twelve channels live under
their prefixes), TLS is terminated inside the tunnel with one self-signed certificate naming every
host (tests.replica.server.self_signed_context), and absolute-URI ``GET http://<host>/...`` works too
(for curl). Each host serves robots.txt (tests/replica's), each channel its index by day at each of
its index paths (``/indeks?date=MM/DD/YYYY[&page=N]``, detikSport's ``/sepakbola/indeks`` and
``/aboutthegame/indeks`` too) and its generated articles; anything else is a 404.

Latency: every response (the CONNECT reply included) is sent after ``asyncio.sleep(d)``, the event
loop serving other connections meanwhile, with d uniform in [--min-latency, --max-latency] (default
0.150-0.400 s), drawn from ``random.Random(f"{seed}:{method} {url}")``: the same URL waits the same
time in every run, whatever order the requests come in.

Requests made to it as a plain web server: ``GET /_stats`` answers a JSON count of what it served
(by kind, by host, and the latency waited in total), ``GET /_reset`` zeroes it.

    python -m benchmarks.network_server [--days 1] [--scale 1.0] [--port 0] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
from collections import Counter
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from benchmarks.networkgen import Network
from benchmarks.server import Counters
from benchmarks.server import Server as _LoopbackServer
from benchmarks.server import _serve, read_request_head

HTML = "text/html; charset=UTF-8"


class NetworkServer:
    def __init__(self, network: Network, seed: int = 1, latency: tuple[float, float] = (0.150, 0.400)):
        from tests.replica.render import ROBOTS_TXT
        from tests.replica.server import self_signed_context

        self.network = network
        self.hosts = frozenset(network.hosts)
        self.seed, self.latency = seed, latency
        self.tls = self_signed_context(*network.hosts)
        self.robots = ROBOTS_TXT.encode()
        self.counters = Counters(1)
        self.by_host: Counter[str] = Counter()
        self.waited = 0.0

    def delay(self, method: str, url: str) -> float:
        return random.Random(f"{self.seed}:{method} {url}").uniform(*self.latency)

    def answer(self, host: str, target: str) -> tuple[int, bytes, str]:
        parts = urlsplit(target)
        path = parts.path or "/"
        self.by_host[host] += 1
        if path == "/robots.txt":
            self.counters.add("robots")
            return 200, self.robots, "text/plain; charset=UTF-8"
        site = self.network.site_at(host, path)
        if site is not None:
            below = path[len(site.channel.prefix):] or "/"
            for index_path in site.channel.index_paths:
                if below.rstrip("/") == index_path:
                    query = parse_qs(parts.query)
                    page_text = query.get("page", ["1"])[0]
                    page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
                    try:
                        day = datetime.strptime(query["date"][0], "%m/%d/%Y").date()
                    except (KeyError, ValueError):
                        day = site.last_day
                    self.counters.add("index")
                    view = self.network.indexes[site.channel.slug, index_path]
                    return 200, view.index_html(day, page, index_path), HTML
            article = site.article_at(f"https://{host}{path}")
            if article is not None and not parts.query:
                self.counters.add("article")
                return 200, site.article_html(article), HTML
        self.counters.add("not_found")
        return 404, b"<html><body><h1>404</h1></body></html>", HTML

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        send = _LoopbackServer._send
        tunnel_host = None
        try:
            while True:
                request = await read_request_head(reader)
                if request is None:
                    return
                method, target, headers = request
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    if tunnel_host or host.lower() not in self.hosts or port != "443":
                        self.counters.add("other")
                        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        await writer.drain()
                        return
                    await self._wait("CONNECT", target)
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await writer.drain()
                    await writer.start_tls(self.tls)
                    tunnel_host = host.lower()
                    continue
                if tunnel_host:
                    host, url_target = tunnel_host, target
                elif target.startswith("http://"):
                    parts = urlsplit(target)
                    host = (parts.hostname or "").lower()
                    if host not in self.hosts:
                        self.counters.add("other")
                        send(writer, 502, b"", "text/plain")
                        await writer.drain()
                        continue
                    url_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                else:
                    send(writer, *self._control(target))
                    await writer.drain()
                    continue
                status, body, content_type = self.answer(host, url_target)
                await self._wait(method, f"https://{host}{url_target}")
                send(writer, status, b"" if method == "HEAD" else body, content_type, len(body))
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

    async def _wait(self, method: str, url: str) -> None:
        seconds = self.delay(method, url)
        self.waited += seconds
        await asyncio.sleep(seconds)

    def _control(self, target: str) -> tuple[int, bytes, str]:
        if target.startswith("/_reset"):
            self.counters.reset()
            self.by_host.clear()
            self.waited = 0.0
        if target.startswith(("/_stats", "/_reset")):
            stats = {**self.counters.totals(), "by_host": dict(self.by_host), "latency_waited_s": round(self.waited, 3)}
            return 200, json.dumps(stats).encode(), "application/json"
        return 400, b"this is an HTTP proxy for the detik network\n", "text/plain"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.network_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies networkgen.PER_DAY")
    parser.add_argument("--port", type=int, default=0, help="on 127.0.0.1 (0: any free port)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-latency", type=float, default=0.150, help="seconds")
    parser.add_argument("--max-latency", type=float, default=0.400, help="seconds")
    args = parser.parse_args()
    network = Network(args.days, args.scale)
    server = NetworkServer(network, args.seed, (args.min_latency, args.max_latency))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    sock.setblocking(False)
    print(json.dumps({"port": sock.getsockname()[1], "pids": [os.getpid()],
                      "since": network.first_day.isoformat(), "until": network.last_day.isoformat(),
                      "articles": network.articles, "index_pages": network.index_pages(),
                      "hosts": list(network.hosts)}), flush=True)
    _serve(server, sock)


if __name__ == "__main__":
    main()
