"""detikInet URL forms: recognise, classify and canonicalise.

  article  https://inet.detik.com/<section>/d-<id>/<slug>[/<page>]
  legacy   http://inet.detik.com/read/YYYY/MM/DD/HHMMSS/<id>/<kanal>/<slug>
  gallery  /fotoinet/d-<id>/..., /readfoto/..., /foto-<channel>/...
  video    /detiktv/d-<id>/..., /video..., any 20.detik.com URL
Tracking parameters (utm_*, _ga, tag_from, tagfrom, device, ...) never identify a page, so the
canonical form drops the whole query; ``single=1`` is added back only where the all-pages view
is wanted (``single_view_url``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

HOST = "inet.detik.com"
_MOBILE_PREFIX = "/inet"

_ARTICLE_PATH = re.compile(r"^/(?P<section>[a-z0-9-]+)/d-(?P<id>\d+)/(?P<slug>[^/?#]+)(?:/(?P<page>\d+))?/?$")
_LEGACY_PATH = re.compile(
    r"^/read/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<t>\d{6})/(?P<id>\d+)/(?P<kanal>\d+)/(?P<slug>[^/?#]+)/?$"
)
_GALLERY_SECTIONS = {"fotoinet", "fotostop", "readfoto"}
_VIDEO_SECTIONS = {"detiktv", "video", "videoinet"}


def _split(url: str):
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    if host == "m.detik.com" and path.startswith(_MOBILE_PREFIX + "/"):
        host, path = HOST, path[len(_MOBILE_PREFIX):]
    return host, path


def classify(url: str) -> str:
    """'article', 'gallery', 'video', 'index' or 'other' (which includes other hosts)."""
    host, path = _split(url)
    if host.endswith("20.detik.com"):
        return "video"
    if host != HOST:
        return "other"
    first = path.strip("/").split("/", 1)[0]
    if first in _GALLERY_SECTIONS or first.startswith("foto-"):
        return "gallery"
    if first in _VIDEO_SECTIONS:
        return "video"
    if first == "indeks":
        return "index"
    if _ARTICLE_PATH.match(path) or _LEGACY_PATH.match(path):
        return "article"
    return "other"


def article_id(url: str) -> int | None:
    host, path = _split(url)
    match = _ARTICLE_PATH.match(path) or _LEGACY_PATH.match(path)
    if host != HOST or not match:
        match = re.search(r"/d-(\d+)/", path)
        return int(match.group(1)) if match else None
    return int(match["id"])


def page_number(url: str) -> int:
    """The page of a multi-page article a URL points to (``<canonical>/2`` -> 2)."""
    match = _ARTICLE_PATH.match(_split(url)[1])
    return int(match["page"]) if match and match["page"] else 1


def section_from_url(url: str) -> str | None:
    """The section key (first path segment) of a d- URL; None for legacy /read/ URLs."""
    match = _ARTICLE_PATH.match(_split(url)[1])
    return match["section"] if match else None


def is_legacy(url: str) -> bool:
    return bool(_LEGACY_PATH.match(_split(url)[1]))


def canonicalize(url: str) -> str:
    """https, host inet.detik.com, no query, fragment, trailing slash or page number."""
    host, path = _split(url)
    match = _ARTICLE_PATH.match(path)
    if host == HOST and match:
        path = f"/{match['section']}/d-{match['id']}/{match['slug']}"
    elif host == HOST and _LEGACY_PATH.match(path):
        path = path.rstrip("/")
    return urlunsplit(("https", host, path, "", ""))


def page_url(url: str, page: int) -> str:
    canonical = canonicalize(url)
    return canonical if page <= 1 else f"{canonical}/{page}"


def single_view_url(url: str) -> str:
    """The all-pages view of a multi-page article."""
    return canonicalize(url) + "?single=1"
