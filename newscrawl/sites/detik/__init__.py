"""detik.com: one CMS, one article id space, about twenty channels. Everything particular to detik
is declared here and in this package's modules; nothing outside it names a detik host.

  channels.py  the channels: hosts, path prefixes, index and RSS paths, how each was verified
  urls.py      URL forms: classify, canonicalise, index/page/single-view URLs
  index.py     reading index pages: the day's cards, the pagination
  layouts/     the page layouts in detection order
  noise.py     what is not article text inside a body
  metadata.py  the publication-time metadata
"""

from __future__ import annotations

from ..base import Site
from .channels import CHANNELS
from .index import DetikIndex
from .urls import DetikUrls

# What follows " - " in a byline: the channel's label, or on detikSport the rubric.
_RUBRIC_LABELS = ("Sepakbola",)

DETIK = Site(
    name="detik",
    label="detikcom",
    channels=CHANNELS,
    urls=DetikUrls(CHANNELS),
    index=DetikIndex(),
    layouts_path="newscrawl.sites.detik.layouts:LAYOUTS",
    noise_path="newscrawl.sites.detik.noise:NOISE",
    published_sources_path="newscrawl.sites.detik.metadata:published_sources",
    byline_labels=frozenset(label.lower() for label in (*(channel.label for channel in CHANNELS), *_RUBRIC_LABELS)),
    article_id_meta=("dtk:articleid", "articleid"),
    author_meta=("dtk:author", "author"),
    keywords_meta=("keywords", "dtk:keywords", "news_keywords"),
    # 2020s a.detail__anchor-numb in div.detail__long-nav / div.detail__multiple; 2017-2019 div.mid_multi.
    page_nav_classes=("detail__anchor-numb", "detail__long-nav", "detail__multiple", "mid_multi"),
)

__all__ = ["DETIK"]
