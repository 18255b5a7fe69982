"""A loopback replica of inet.detik.com for end-to-end tests of the detikinet spider.

``Replica`` (server.py) is an HTTP proxy on 127.0.0.1 that serves inet.detik.com itself, plain and
through CONNECT tunnels with a self-signed certificate; ``build()`` (sitemap.py) computes what it
serves from the saved pages in tests/fixtures/pages; render.py holds the generated markup.
Run it by hand with ``python -m tests.replica --port 8899``.
"""

from .server import LoggedRequest, Replica
from .sitemap import CRAWL_RANGE, ROLES, SiteMap, build, index_url, legacy_url

__all__ = ["CRAWL_RANGE", "ROLES", "LoggedRequest", "Replica", "SiteMap", "build", "index_url", "legacy_url"]
