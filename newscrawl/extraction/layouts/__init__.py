"""The generic layout machinery: the Layout base class and the metadata fallback.

A site's own layouts live in its package (e.g. newscrawl/sites/detik/layouts); ``detect_layout``
tries them in the site's order and falls back to reading the page's metadata.
"""

from .base import Layout
from .fallback import FallbackLayout

FALLBACK = FallbackLayout()


def detect_layout(page, layouts) -> Layout:
    return next((layout for layout in layouts if layout.matches(page)), FALLBACK)


__all__ = ["Layout", "FALLBACK", "detect_layout"]
