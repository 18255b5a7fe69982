"""``scrapy crawl detikinet``: the detikInet channel's spider (defined with every other channel's in
newscrawl/spiders/detik.py), importable here under its old name."""

from __future__ import annotations

from datetime import date

from ..sites.detik import DETIK
from .detik import CHANNEL_SPIDERS

DetikInetSpider = CHANNEL_SPIDERS["inet"]
_INET = DETIK.channel("inet")


def index_url(day: date, page: int = 1) -> str:
    """detikInet's index of a day (result page ``page``)."""
    return DETIK.urls.index_url(_INET, _INET.index_paths[0], day, page)


__all__ = ["DetikInetSpider", "index_url"]
