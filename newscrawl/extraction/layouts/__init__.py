"""detikInet page layouts, newest first; the fallback reads any page from its metadata."""

from .base import Layout
from .fallback import FallbackLayout
from .jdl import JdlLayout
from .legacy import LegacyLayout
from .modern import ModernLayout

KNOWN_LAYOUTS: tuple[Layout, ...] = (ModernLayout(), JdlLayout(), LegacyLayout())
FALLBACK = FallbackLayout()


def detect_layout(page) -> Layout:
    return next((layout for layout in KNOWN_LAYOUTS if layout.matches(page)), FALLBACK)


__all__ = ["Layout", "KNOWN_LAYOUTS", "FALLBACK", "detect_layout"]
