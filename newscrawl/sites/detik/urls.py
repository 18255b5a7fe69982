"""detik URL forms: recognise, classify and canonicalise, for every channel.

  article   https://<host>[/<channel>]/<section>[/<sub-section>]/d-<id>/<slug>[/<page>]
  2015      http://news.detik.com/<section>/<id>/<slug>        (no d-: the number is the id)
  legacy    http://<host>/read/YYYY/MM/DD/HHMMSS/<id>/<kanal>/<slug>
  mobile    https://m.detik.com/<channel>/...                  (the channel's own page)
  gallery   a section foto-*, *-galeri, fotoinet, fototravel, foto, readfoto ...
  video     a section detiktv, video ...; any 20.detik.com URL
  index     /indeks, /<sub-channel>/indeks, /indeksfokus/...
Tracking parameters (utm_*, _ga, tag_from, tagfrom, device, ...) never identify a page, so the
canonical form drops the whole query; ``single=1`` is added back only where the all-pages view is
wanted (``single_view_url``).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit, urlunsplit

from ..base import Channel, PageUrl

MOBILE_HOST = "m.detik.com"
VIDEO_HOST = "20.detik.com"
_SITE_SUFFIX = ".detik.com"

_SEGMENT = r"[a-z0-9][a-z0-9-]*"
_ARTICLE_PATH = re.compile(
    rf"^/(?P<sections>{_SEGMENT}(?:/{_SEGMENT}){{0,2}})/d-(?P<id>\d+)/(?P<slug>[^/?#]+)(?:/(?P<page>\d+))?/?$"
)
# 2015 news and finance wrote the id without d- (/berita/2943745/slug); ids then had 7 digits.
_NUMBERED_PATH = re.compile(rf"^/(?P<section>{_SEGMENT})/(?P<id>\d{{6,}})/(?P<slug>[^/?#]+)/?$")
_LEGACY_PATH = re.compile(
    r"^/read/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<t>\d{6})/(?P<id>\d+)/(?P<kanal>\d+)/(?P<slug>[^/?#]+)/?$"
)
_GALLERY_SECTIONS = frozenset(("fotoinet", "fototravel", "fotostop", "readfoto", "foto", "fotohot", "fotosport"))
_VIDEO_SECTIONS = frozenset(("detiktv", "video", "videoinet", "20detik"))
_INDEX_SECTIONS = frozenset(("indeks", "indeksfokus"))
# First segments that are pages of the site, never the section of a numbered (2015) article.
_NOT_SECTIONS = _INDEX_SECTIONS | frozenset(("tag", "search", "kanal", "read", "readfoto", "komentar", "api", "ajax"))


def _is_gallery(segment: str) -> bool:
    return segment in _GALLERY_SECTIONS or segment.startswith("foto-") or segment.endswith(("-galeri", "-foto"))


class DetikUrls:
    def __init__(self, channels: tuple[Channel, ...]) -> None:
        self.channels = channels
        self._by_host = {channel.host: channel for channel in channels if not channel.prefix}
        self._by_prefix = {(channel.host, channel.prefix.strip("/")): channel for channel in channels if channel.prefix}
        self._by_slug = {channel.slug: channel for channel in channels}

    # -- reading -----------------------------------------------------------------------------
    def _locate(self, url: str) -> tuple[str, Channel | None, str] | None:
        """(host, channel, path below the channel root), or None for a host outside detik."""
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        if host != "detik.com" and not host.endswith(_SITE_SUFFIX):
            return None
        first, _, rest = path.lstrip("/").partition("/")
        if host == MOBILE_HOST and first in self._by_slug:  # m.detik.com/<channel>/...: that channel's page
            channel = self._by_slug[first]
            return channel.host, channel, "/" + rest
        channel = self._by_host.get(host) or self._by_prefix.get((host, first))
        if channel is not None and channel.prefix:
            path = "/" + rest
        return host, channel, path

    def parse(self, url: str) -> PageUrl | None:
        located = self._locate(url)
        if located is None:
            return None
        host, channel, path = located
        if host == VIDEO_HOST:
            return PageUrl("video", "detik")
        if channel is None:
            return PageUrl("other", "detik")
        segments = [segment for segment in path.strip("/").split("/") if segment]
        first = segments[0] if segments else ""
        if first in _INDEX_SECTIONS or (len(segments) == 2 and segments[1] == "indeks"):
            return PageUrl("index", "detik", channel)
        match = _ARTICLE_PATH.match(path)
        if match:
            sections = tuple(match["sections"].split("/"))
            kind = self._kind_of_sections(sections)
            canonical = self._url(channel, f"/{match['sections']}/d-{match['id']}/{match['slug']}")
            return PageUrl(kind, "detik", channel, int(match["id"]), sections,
                           int(match["page"]) if match["page"] else 1, canonical if kind == "article" else None)
        if first == "readfoto":
            return PageUrl("gallery", "detik", channel)
        if first in _VIDEO_SECTIONS:
            return PageUrl("video", "detik", channel)
        match = _LEGACY_PATH.match(path)
        if match:
            canonical = self._url(channel, path.rstrip("/"))
            return PageUrl("article", "detik", channel, int(match["id"]), (), 1, canonical, legacy=True)
        match = _NUMBERED_PATH.match(path)
        if match and match["section"] not in _NOT_SECTIONS:
            kind = self._kind_of_sections((match["section"],))
            canonical = self._url(channel, path.rstrip("/"))
            return PageUrl(kind, "detik", channel, int(match["id"]), (match["section"],), 1,
                           canonical if kind == "article" else None)
        return PageUrl("other", "detik", channel)

    @staticmethod
    def _kind_of_sections(sections: tuple[str, ...]) -> str:
        if any(_is_gallery(section) for section in sections):
            return "gallery"
        if any(section in _VIDEO_SECTIONS for section in sections):
            return "video"
        return "article"

    # -- writing -----------------------------------------------------------------------------
    @staticmethod
    def _url(channel: Channel, path: str, query: str = "") -> str:
        return urlunsplit(("https", channel.host, channel.prefix + path, query, ""))

    def index_url(self, channel: Channel, index_path: str, day: date, page: int = 1) -> str:
        # detik's date filter is MM/DD/YYYY and must be repeated on every result page.
        query = f"date={day:%m/%d/%Y}"
        return self._url(channel, index_path, query if page <= 1 else f"page={page}&{query}")

    def rss_url(self, channel: Channel, rss_path: str) -> str:
        return self._url(channel, rss_path)

    def page_url(self, canonical: str, page: int) -> str:
        return canonical if page <= 1 else f"{canonical}/{page}"

    def single_view_url(self, canonical: str) -> str:
        return canonical + "?single=1"
