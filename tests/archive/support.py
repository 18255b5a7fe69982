"""Helpers of the archive tests: a wire-tapped replica of the site, a crawl runner, WARC building.

The site is tests/replica's Replica (a proxy that terminates CONNECT inet.detik.com:443 with a
self-signed certificate), answering from the fixture pages chosen here, some gzip-encoded. Its TLS
context is wrapped so that every byte the server sends inside the tunnels is kept: the tests
compare the archive with exactly that.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import PAGES
from tests.replica.server import Answer, Replica

ROOT = Path(__file__).resolve().parents[2]

# path (and query) on inet.detik.com -> (fixture name, gzip-encoded?)
SERVED = {
    "/read/2015/11/05/100026/3062623/323/google-umbar-kelemahan-galaxy-s6-edge": ("detikinet-2015-11-05-3062623", True),
    "/cyberlife/d-4346915/langkah-tik-tok-ubah-imej-alay": ("seed-2018-layout2017", True),
    "/cyberlife/d-6453192/bos-kripto-yang-bangkrut-ngeles-soal-hobi-beli-rumah-mewah": ("detikinet-2022-12-10-d-6453192", False),
    "/science/d-7347215/roket-falcon-9-cetak-rekor-booster-mendarat-untuk-ke-20-kalinya": ("noise-2020s", False),
    "/science/d-7006952/gerhana-matahari-cincin-14-oktober-kenapa-tak-terlihat-di-indonesia": ("multipage-p1", True),
    "/science/d-7006952/gerhana-matahari-cincin-14-oktober-kenapa-tak-terlihat-di-indonesia?single=1": ("multipage-single", True),
}
CRAWLED_URLS = [f"https://inet.detik.com{path}" for path in SERVED if "?" not in path]
# The fixture whose expected item each crawled article must equal.
EXPECTED_FIXTURE = {
    3062623: "detikinet-2015-11-05-3062623",
    4346915: "seed-2018-layout2017",
    6453192: "detikinet-2022-12-10-d-6453192",
    7347215: "noise-2020s",
    7006952: "multipage-single",
}
ROBOTS = b"User-agent: *\nDisallow: /search/\n"


def expected_item(name: str) -> dict:
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))["item"]


def page_bytes(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


class _TappedSocket:
    """A server-side TLS socket that keeps a copy of everything sent through it."""

    def __init__(self, sock, sent: bytearray) -> None:
        self._sock, self._sent = sock, sent

    def sendall(self, data: bytes) -> None:
        self._sent.extend(data)
        self._sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _TappedContext:
    def __init__(self, context) -> None:
        self.context = context
        self.streams: list[bytearray] = []
        self.lock = threading.Lock()

    def wrap_socket(self, sock, server_side=False, **kwargs):
        sent = bytearray()
        with self.lock:
            self.streams.append(sent)
        return _TappedSocket(self.context.wrap_socket(sock, server_side=server_side, **kwargs), sent)


@dataclass
class WireResponse:
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes


class Site(Replica):
    """The replica, answering SERVED (robots.txt too) and 404 for anything else; every byte sent
    in the tunnels is kept (``wire_responses``)."""

    def __init__(self) -> None:
        super().__init__()
        self.tls = _TappedContext(self.tls)

    def answer(self, target: str) -> Answer:
        if target == "/robots.txt":
            return Answer(200, ROBOTS, "text/plain; charset=UTF-8")
        if target not in SERVED:
            return Answer(404, b"<html><body>Halaman tidak ditemukan</body></html>")
        name, gzipped = SERVED[target]
        if gzipped:
            return Answer(200, gzip.compress(page_bytes(name), mtime=0), headers={"Content-Encoding": "gzip"})
        return Answer(200, page_bytes(name))

    def wire_responses(self) -> list[WireResponse]:
        responses = []
        with self.tls.lock:
            streams = [bytes(stream) for stream in self.tls.streams]
        for stream in streams:
            position = 0
            while position < len(stream):
                head_end = stream.index(b"\r\n\r\n", position)
                lines = stream[position:head_end].decode("latin-1").split("\r\n")
                headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
                length = int(dict(headers)["Content-Length"])
                body = stream[head_end + 4 : head_end + 4 + length]
                responses.append(WireResponse(lines[0], headers, body))
                position = head_end + 4 + length
        return responses


def crawl(site: Site, out: Path, *arguments: str, settings: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`scrapy crawl detikinet` as a subprocess through the site's proxy, into ``out``."""
    env = {key: value for key, value in os.environ.items() if key.lower() not in ("no_proxy", "all_proxy")}
    env.update(https_proxy=site.proxy_url, http_proxy=site.proxy_url,
               NEWSCRAWL_DATABASE_URL=f"sqlite:///{out / 'db.sqlite3'}")
    command = [sys.executable, "-m", "scrapy", "crawl", "detikinet"]
    for argument in arguments:
        command += ["-a", argument]
    for setting in (f"NEWSCRAWL_EXPORTS_DIR={out}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False",
                    *settings):
        command += ["-s", setting]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def stat_value(log: str, name: str) -> int | None:
    match = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(match.group(1)) if match else None


# -- building WARC files in tests ------------------------------------------------------------------
def response_record(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]],
                    status: str = "200 OK", date: str = "2026-11-20T10:00:00Z"):
    return writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body),
        http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date},
    )


def chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [body[start : start + size] for start in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"
