"""The replica server: an HTTP proxy on 127.0.0.1 that answers for the detik network itself.

It serves every channel of newscrawl's detik declaration (network.py: the hosts of ``Replica.hosts``,
inet.detik.com, news.detik.com, ..., sport.detik.com and www.detik.com with its regional and other
channels under their prefixes); ``Replica.site`` is detikInet's site map, ``Replica.network`` every
channel's. Clients reach it the standard way, through ``http_proxy``/``https_proxy``:

* ``CONNECT <host>:443`` is accepted for every served host; inside the tunnel the replica
  terminates TLS with a self-signed certificate made at start (``cryptography``) that names every
  served host (subject alternative names) and serves HTTP/1.1 requests;
* ``GET http://inet.detik.com/<path>`` (absolute-URI proxy requests) are answered directly, for
  detikInet only, as before the network was served: crawls ask for https:// URLs, this is for
  looking at pages with curl.

Every other host is refused (CONNECT: 403, absolute-URI GET: 502) and logged, as are requests
made to the replica as if it were a web server. Every request goes into ``Replica.requests()``
(order, method, full URL, status) so tests can check what a crawl asked for.
"""

from __future__ import annotations

import logging
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import render
from .network import NetworkMap, build_network
from .sitemap import HOST, SiteMap, build

logger = logging.getLogger("replica")

HTML = "text/html; charset=UTF-8"


@dataclass(frozen=True)
class LoggedRequest:
    order: int
    method: str
    url: str  # https://<host>/... inside a tunnel; the request target otherwise
    status: int
    via: str  # "tunnel", "proxy" (absolute-URI request), "connect" or "direct"
    at: float  # time.monotonic() when it was answered


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: dict | None = None


def self_signed_context(*hostnames: str) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for ``hostnames`` (default
    inet.detik.com): the first is its common name, all of them its subject alternative names."""
    hostnames = hostnames or (HOST,)
    hostname = hostnames[0]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in hostnames]), critical=False)
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_alpn_protocols(["http/1.1"])
    with tempfile.TemporaryDirectory(prefix="replica-tls-") as folder:
        cert_path, key_path = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        context.load_cert_chain(cert_path, key_path)
    return context


class _SocketWriter:
    """A write-only file over a socket that always writes everything (sendall)."""

    closed = False

    def __init__(self, sock):
        self.sock = sock

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True


class Replica:
    """The site and its server. ``with Replica() as replica:`` starts it on a free port.

    ``site`` is detikInet's site map (the one the detikinet tests read), ``network`` every
    channel's, detikInet's included; ``hosts`` the hosts served."""

    def __init__(self, site: SiteMap | None = None, host: str = "127.0.0.1", port: int = 0):
        self.site = site or build()
        self.network: NetworkMap = build_network(self.site.pages_dir, inet=self.site)
        self.hosts: tuple[str, ...] = self.network.hosts
        self.host, self.port = host, port
        self.tls = self_signed_context(*self.hosts)
        self._lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        self._asked: dict[str, int] = {}
        self.index_status: int | None = None  # when set, every index page of every channel answers this status
        # When set, every article page of every channel is passed through it (fixture name, html) -> html:
        # a test can serve a redesigned site without new fixtures.
        self.page_transform = None
        # When set, called with the target (path and query) of every inet.detik.com request, in the
        # server's thread, before it is answered: a test injects a fault at an exact point of a crawl.
        self.before_answer = None
        # Article-page barrier for tests that run several crawlers at once (hold_article_pages).
        self._hold = threading.Condition()
        self._hold_parties: int | None = None
        self._hold_timeout = 0.0
        self._held: list[str] = []
        self._hold_open = True
        self.hold_timed_out = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Replica:
        handler = type("BoundHandler", (_Handler,), {"replica": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    @property
    def proxy_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- state -----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the request log and which pages were asked for (503-once pages fail once more)."""
        with self._lock:
            self._log.clear()
            self._asked.clear()

    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def record(self, method: str, url: str, status: int, via: str) -> None:
        with self._lock:
            self._log.append(LoggedRequest(len(self._log) + 1, method, url, status, via, time.monotonic()))
        logger.info("%s %s -> %d (%s)", method, url, status, via)

    def hold_article_pages(self, parties: int | None, timeout: float = 20.0) -> None:
        """Hold every 200 answer of an article page until ``parties`` of them wait at once, then let
        them all go and hold nothing more; after ``timeout`` seconds they go anyway and
        ``hold_timed_out`` is set. Crawlers that each have fewer than ``parties`` requests in flight
        (CONCURRENT_REQUESTS) then each fetch an article page: none can take them all before the
        others have started. ``None`` turns the barrier off."""
        with self._hold:
            self._hold_parties, self._hold_timeout = parties, timeout
            self._held, self._hold_open, self.hold_timed_out = [], parties is None, False
            self._hold.notify_all()

    def held(self) -> list[str]:
        """The article pages (path and query) waiting at the barrier now."""
        with self._hold:
            return [] if self._hold_open else list(self._held)

    def _wait_at_hold(self, target: str) -> None:
        with self._hold:
            if self._hold_open or self._hold_parties is None:
                return
            self._held.append(target)
            if len(self._held) >= self._hold_parties:
                self._hold_open = True
                self._hold.notify_all()
                return
            if not self._hold.wait_for(lambda: self._hold_open, self._hold_timeout):
                self.hold_timed_out = self._hold_open = True
                self._hold.notify_all()

    def is_article_page(self, target: str, host: str = HOST) -> bool:
        parts = urlsplit(target)
        key = parts.path.rstrip("/") or "/"
        site = self._site_at(host, parts.path or "/")
        if site is None:
            return False
        single = "1" in parse_qs(parts.query).get("single", [])
        name = site.pages.get((key, single)) or site.pages.get((key, False))
        return name is not None and name not in site.others.values()

    def _count(self, path: str) -> int:
        with self._lock:
            self._asked[path] = self._asked.get(path, 0) + 1
            return self._asked[path]

    def _site_at(self, host: str, path: str) -> SiteMap | None:
        return self.site if host == HOST else self.network.site_at(host, path)

    # -- the site --------------------------------------------------------------------------------
    def answer_at(self, host: str, target: str) -> Answer:
        """The response to ``GET <target>`` (path and query) on ``host``, one of ``hosts``."""
        if host == HOST:
            return self.answer(target)  # the hook tests override to change detikInet's answers
        return self._answer(host, target)

    def answer(self, target: str) -> Answer:
        """The response to ``GET <target>`` (path and query) on inet.detik.com."""
        return self._answer(HOST, target)

    def _answer(self, host: str, target: str) -> Answer:
        parts = urlsplit(target)
        path, query = parts.path or "/", parse_qs(parts.query)
        if path == "/robots.txt":
            return Answer(200, render.ROBOTS_TXT.encode(), "text/plain; charset=UTF-8")
        site = self._site_at(host, path)
        if site is None:  # www.detik.com outside every channel's prefix
            if path == "/":
                sites = [site for site in self.network.sites.values() if site.channel.host == host]
                return Answer(200, render.host_home(sites).encode("utf-8"))
            return Answer(404, render.error_page(404, "Halaman tidak ditemukan").encode("utf-8"))
        channel = site.channel
        below = path[len(channel.prefix):] or "/"  # the path below the channel's root
        if (below.rstrip("/") or "/") in channel.rss_paths:
            now = datetime.now(timezone.utc)
            return Answer(200, render.rss(site, now).encode("utf-8"), "application/rss+xml; charset=UTF-8")
        for index_path in channel.index_paths:
            if below.rstrip("/") == index_path or below.startswith(index_path + "/"):
                return self._channel_index(site, index_path, below, query)
        if below.rstrip("/") == "":
            return Answer(200, render.home(site).encode("utf-8"))
        key = path.rstrip("/") or "/"
        if key in site.gone:
            return Answer(404, render.error_page(404, "Halaman tidak ditemukan", site).encode("utf-8"))
        if key in site.redirects:
            location = site.redirects[key]
            return Answer(301, render.error_page(301, location, site).encode("utf-8"), headers={"Location": location})
        single = "1" in query.get("single", [])
        name = site.pages.get((key, single)) or site.pages.get((key, False))
        if name is None:
            return Answer(404, render.error_page(404, "Halaman tidak ditemukan", site).encode("utf-8"))
        if key in site.retry_once and self._count(f"https://{host}{key}") == 1:
            return Answer(503, render.error_page(503, "Service Unavailable", site).encode("utf-8"),
                          headers={"Retry-After": "0"})
        page = site.fixture(name)[1]
        if name in site.related_card_for:
            page = render.with_related_card(page, site.related_card_for[name])
        if self.page_transform is not None:
            page = self.page_transform(name, page)
        return Answer(200, page)

    def _channel_index(self, site: SiteMap, index_path: str, path: str, query: dict) -> Answer:
        if site is self.site:
            return self._index(path, query)  # the hook tests override to change detikInet's index
        return self._index_page(site, index_path, path, query)

    def _index(self, path: str, query: dict) -> Answer:
        """detikInet's index page at ``path``."""
        return self._index_page(self.site, self.site.channel.index_paths[0], path, query)

    def _index_page(self, site: SiteMap, index_path: str, path: str, query: dict) -> Answer:
        if self.index_status is not None:
            return Answer(self.index_status, render.error_page(self.index_status, "Index unavailable", site).encode())
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        page_text = query.get("page", [tail if tail.isdigit() else "1"])[0]
        page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
        day = None
        if "date" in query:
            try:
                day = datetime.strptime(query["date"][0], "%m/%d/%Y").date()
            except ValueError:
                day = None
        if day is None:  # no (readable) date filter: the newest listed day
            listing = site.listing(index_path)
            day = max(listing) if listing else date.today()
        return Answer(200, render.index_page(site, day, page, index_path).encode("utf-8"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them
    server_version = "detik-replica/1"
    timeout = 30
    replica: Replica  # set on the bound subclass
    tunnel_host: str | None = None
    tls_socket = None

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's signature)
        logger.debug("%s " + format, self.client_address[0], *args)

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        if host.lower() not in self.replica.hosts or port != "443" or self.tunnel_host is not None:
            self.replica.record("CONNECT", self.path, 403, "connect")
            served = ", ".join(f"{name}:443" for name in self.replica.hosts)
            self._send(Answer(403, f"the replica serves {served} only\n".encode(), "text/plain"), close=True)
            return
        self.replica.record("CONNECT", self.path, 200, "connect")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = self.replica.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as error:
            logger.warning("TLS handshake in CONNECT tunnel failed: %s", error)
            self.close_connection = True
            return
        self.tls_socket = self.connection = tls
        self.rfile = tls.makefile("rb", -1)
        self.wfile = _SocketWriter(tls)
        self.tunnel_host = host.lower()
        self.close_connection = False

    def do_GET(self):
        self._serve(head=False)

    def do_HEAD(self):
        self._serve(head=True)

    def _other_method(self):
        self.replica.record(self.command, self._full_url(), 405, self._via())
        self._send(Answer(405, b"method not allowed\n", "text/plain", {"Allow": "GET, HEAD"}))

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other_method

    def _via(self) -> str:
        if self.tunnel_host:
            return "tunnel"
        return "proxy" if "://" in self.path else "direct"

    def _full_url(self) -> str:
        if self.tunnel_host and not self.path.startswith(("http://", "https://")):
            return f"https://{self.tunnel_host}{self.path}"
        return self.path

    def _serve(self, head: bool):
        via, url = self._via(), self._full_url()
        if via == "direct":
            proxy = f"http://{self.headers.get('Host', '')}"
            message = f"this is an HTTP proxy for the detik network: set http_proxy/https_proxy={proxy}\n"
            answer = Answer(400, message.encode(), "text/plain; charset=UTF-8")
        else:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            # In a tunnel: its own host; plain http:// proxy requests: detikInet's only (see the module).
            if host != (self.tunnel_host or HOST):
                served = "https:// of its hosts in CONNECT tunnels" if via == "tunnel" else f"http:// for {HOST} only"
                answer = Answer(502 if via == "proxy" else 403, f"the replica serves {served}\n".encode(),
                                "text/plain; charset=UTF-8")
            else:
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                if host == HOST and self.replica.before_answer is not None:
                    self.replica.before_answer(target)
                answer = self.replica.answer_at(host, target)
                if answer.status == 200 and self.command == "GET" and self.replica.is_article_page(target, host):
                    self.replica._wait_at_hold(target)
        self.replica.record(self.command, url, answer.status, via)
        self._send(answer, head=head)

    def _send(self, answer: Answer, head: bool = False, close: bool = False):
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in (answer.headers or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(answer.body)
        self.wfile.flush()

    def finish(self):
        try:
            super().finish()
        finally:
            if self.tls_socket is not None:
                try:
                    self.tls_socket.close()
                except OSError:
                    pass

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, TimeoutError):
            self.close_connection = True
