"""The sites newscrawl knows, each declared once in its own package (see sites/base.py).

Adding a publisher is one new package declaring a ``Site``, listed in SITES, plus saved pages for its
layouts and channels in tests/fixtures; storage, pipelines and the CLI do not change.
"""

from __future__ import annotations

from .base import Channel, PageUrl, Site
from .detik import DETIK

SITES: tuple[Site, ...] = (DETIK,)
_BY_NAME = {site.name: site for site in SITES}
NOT_OURS = PageUrl("other")


def site_named(name: str) -> Site:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no site named {name!r} (sites: {', '.join(_BY_NAME)})") from None


def parse_url(url: str) -> PageUrl:
    """What a URL is, by the rules of the site it belongs to; kind "other" for no known site."""
    for site in SITES:
        parsed = site.parse_url(url)
        if parsed is not None:
            return parsed
    return NOT_OURS


__all__ = ["Channel", "NOT_OURS", "PageUrl", "SITES", "Site", "parse_url", "site_named"]
