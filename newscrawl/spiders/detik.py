"""The detik spiders: ``detik`` crawls every channel (``-a channels=news,inet`` chooses), and one spider
per channel (``detiknews``, ``detikinet``, ``detikjabar``, ...) crawls that channel alone. All of them
take the same arguments and behave alike; see newscrawl/spiders/site.py."""

from __future__ import annotations

from ..sites.detik import DETIK
from .site import SiteSpider


class DetikSpider(SiteSpider):
    name = "detik"
    site = DETIK


def _channel_spider(slug: str) -> type[DetikSpider]:
    class_name = f"Detik{slug.capitalize()}Spider"
    # __module__ is this module's, so that Scrapy's spider loader lists the spider here, once.
    return type(class_name, (DetikSpider,), {"name": f"detik{slug}", "fixed_channels": (slug,),
                                              "__module__": __name__, "__qualname__": class_name})


CHANNEL_SPIDERS: dict[str, type[DetikSpider]] = {channel.slug: _channel_spider(channel.slug) for channel in DETIK.channels}
globals().update({spider.__name__: spider for spider in CHANNEL_SPIDERS.values()})

__all__ = ["CHANNEL_SPIDERS", "DetikSpider", *(spider.__name__ for spider in CHANNEL_SPIDERS.values())]
