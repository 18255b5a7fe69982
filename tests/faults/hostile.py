"""A hostile inet.detik.com for fault tests, and a crawl runner that measures the crawl's memory.

``HostileSite`` is the replica's proxy (tests/replica: CONNECT inet.detik.com:443 terminated with
a self-signed certificate, reached through http_proxy/https_proxy), answering only the paths a
test gives it, with pages made to exhaust a crawler: gzip bombs, bodies far larger than a news
page (with or without a Content-Length), navigation that claims a million pages. robots.txt
allows everything; any other path is a 404. Everything stays on 127.0.0.1.

``crawl`` runs ``scrapy crawl detikinet`` in a subprocess and reports its peak RSS, read from
the kernel's accounting of that one child (os.wait4), not from a timer or a sampling loop. The child
is started by a small launcher process: a process's peak RSS starts from its parent's resident
memory at the fork (Linux carries the high-water mark across exec), so a child forked straight from
a test process that has grown (pyarrow, datasets, lxml trees of earlier tests) would report the test
process's size, not its own.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import zlib

import brotli
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.replica.server import HTML, Answer, Replica, _Handler

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "https://inet.detik.com"
MIB = 1024 * 1024
# Anything that could send the crawl elsewhere than the hostile site, or change how it runs.
_CLEARED_ENV = re.compile(r"^(https?_proxy|all_proxy|no_proxy|ftp_proxy|newscrawl_.*|redis_url|scrapy_.*)$", re.I)


@dataclass
class Streamed:
    """An answer whose body is sent chunk by chunk as ``chunks()`` makes it, until it ends or the
    client hangs up. ``length`` is the Content-Length declared (None: none, the connection's end
    ends the body)."""

    status: int
    chunks: Callable[[], Iterator[bytes]]
    length: int | None = None
    content_type: str = HTML
    headers: dict | None = None


Route = Callable[[str], "Answer | Streamed"]  # (path and query) -> answer


def spaces(total: int, chunk: int = MIB) -> Callable[[], Iterator[bytes]]:
    """``total`` bytes of spaces, made a chunk at a time (nothing big is ever held)."""
    def chunks() -> Iterator[bytes]:
        block = b" " * chunk
        for _ in range(total // chunk):
            yield block
    return chunks


def bomb(page: bytes, padding: int, encoding: str = "gzip", marker: bytes = b"<body") -> bytes:
    """``page`` with ``padding`` spaces after ``marker``, in a Content-Encoding (gzip, deflate or
    br): a thousandth of its size on the wire or less, a whole valid page once decoded."""
    start = page.index(marker)
    if encoding == "br":
        compressor = brotli.Compressor(quality=5)
        compress, finish = compressor.process, compressor.finish
    else:
        wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS  # deflate: zlib-wrapped
        compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
        compress, finish = compressor.compress, compressor.flush
    parts = [compress(page[:start])]
    block = b" " * MIB
    parts.extend(compress(block) for _ in range(padding // MIB))
    parts += [compress(page[start:]), finish()]
    return b"".join(parts)


def gzip_bomb(page: bytes, padding: int) -> bytes:
    return bomb(page, padding, "gzip")


def not_found() -> Answer:
    return Answer(404, b"<html><body>Halaman tidak ditemukan</body></html>")


class _HostileHandler(_Handler):
    def _send(self, answer, head: bool = False, close: bool = False):
        if not isinstance(answer, Streamed):
            return super()._send(answer, head=head, close=close)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        if answer.length is not None:
            self.send_header("Content-Length", str(answer.length))
        for name, value in (answer.headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        sent = 0
        try:
            for chunk in [] if head else answer.chunks():
                self.wfile.write(chunk)
                sent += len(chunk)
        except (ConnectionError, ssl.SSLError, OSError):
            pass  # the client hung up: what a crawler with a size limit does
        self.replica.sent(self.path, sent)


class HostileSite(Replica):
    """``with HostileSite({path: route}) as site:`` serves the routes on a free port of 127.0.0.1."""

    def __init__(self, routes: dict[str, Route], fallback: Route | None = None):
        super().__init__()
        self.routes = routes
        self.fallback = fallback  # answers the paths not in routes (default: 404)
        self.streamed: dict[str, int] = {}  # path -> body bytes written before the end or the hang-up

    def start(self) -> HostileSite:
        handler = type("BoundHostileHandler", (_HostileHandler,), {"replica": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-site", daemon=True)
        self._thread.start()
        return self

    def answer(self, target: str) -> Answer | Streamed:
        path = target.split("?", 1)[0]
        if path == "/robots.txt":
            return Answer(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=UTF-8")
        route = self.routes.get(path, self.fallback)
        return route(target) if route is not None else not_found()

    def sent(self, path: str, count: int) -> None:
        with self._lock:
            self.streamed[path] = count

    def get_paths(self) -> list[str]:
        """The path and query of every GET the crawl made, in order."""
        return [request.url.removeprefix(ORIGIN) for request in self.requests() if request.method == "GET"]


@dataclass
class Crawl:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float  # the crawl process's maximum resident set size

    def summary_line(self, key: str) -> str:
        """The value of one line of the run summary (``errors by status`` -> ``too_large 6``)."""
        for line in self.stderr.splitlines():
            if line.startswith(f"  {key}: "):
                return line.split(": ", 1)[1]
        raise AssertionError(f"no {key!r} line in the run summary:\n{self.stderr[-3000:]}")


def crawl(site: HostileSite, workdir: Path, *arguments: str, settings: tuple[str, ...] = (),
          timeout: float = 120) -> Crawl:
    """``scrapy crawl detikinet -a <arguments>`` through the site, into ``workdir``; killed after ``timeout``."""
    workdir.mkdir(parents=True, exist_ok=True)
    site.reset()
    env = {name: value for name, value in os.environ.items() if not _CLEARED_ENV.match(name)}
    env.update(http_proxy=site.proxy_url, https_proxy=site.proxy_url, PYTHONDONTWRITEBYTECODE="1",
               NEWSCRAWL_DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}")
    command = [sys.executable, "-m", "scrapy", "crawl", "detikinet"]
    for argument in arguments:
        command += ["-a", argument]
    for setting in (f"NEWSCRAWL_EXPORTS_DIR={workdir}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False",
                    "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05", *settings):
        command += ["-s", setting]
    return run_measured(command, env, timeout)


# Runs argv[2:], waits for it with wait4 and writes "<exit code> <ru_maxrss in KiB>" to argv[1].
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(f'{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}')\n"
)


def run_measured(command: list[str], env: dict[str, str], timeout: float, cwd: Path = ROOT) -> Crawl:
    """Run ``command`` and return its exit status, output and peak RSS (from its own rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".rusage") as measured:
        process = subprocess.Popen([sys.executable, "-c", _LAUNCHER, measured.name, *command], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        timed_out = threading.Event()
        timer = threading.Timer(timeout, lambda: (timed_out.set(), os.killpg(process.pid, 9)))
        timer.start()
        try:
            process.wait()
        finally:
            timer.cancel()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        if timed_out.is_set():
            raise AssertionError(f"{command[:6]} did not end within {timeout} s:\n{stderr[-3000:]}")
        code, max_rss_kib = (int(value) for value in measured.read().split())
    return Crawl(code, stdout, stderr, max_rss_kib / 1024)  # ru_maxrss is in KiB on Linux
