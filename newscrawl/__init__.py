"""newscrawl: a Scrapy crawler and archiver of Indonesian news, starting with detikInet."""

__version__ = "0.1.0"
