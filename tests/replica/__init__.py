"""A loopback replica of the detik network for end-to-end tests of the detik spiders.

``Replica`` (server.py) is an HTTP proxy on 127.0.0.1 that serves every channel of newscrawl's detik
declaration itself (inet.detik.com, news.detik.com, sport.detik.com, ..., www.detik.com/jabar, ...),
through CONNECT tunnels with a self-signed certificate naming every served host (detikInet also as
plain http://). ``build()`` (sitemap.py) computes detikInet's pages from the saved pages in
tests/fixtures/pages (``Replica.site``, what the detikinet tests read), ``build_network()``
(network.py) every channel's (``Replica.network``); render.py holds the generated markup.
Run it by hand with ``python -m tests.replica --port 8899``.
"""

from .network import NetworkMap, build_network
from .server import LoggedRequest, Replica
from .sitemap import CRAWL_RANGE, ROLES, SiteMap, build, index_url, legacy_url

__all__ = ["CRAWL_RANGE", "ROLES", "LoggedRequest", "NetworkMap", "Replica", "SiteMap", "build", "build_network",
           "index_url", "legacy_url"]
