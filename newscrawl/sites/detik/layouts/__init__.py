"""detik's page layouts, in detection order: the 2020s one, the 2017-2019 one (also on old channel
pages), the 2015-2016 one, and the third "read" layout of detikTravel and others."""

from .jdl import JdlLayout
from .legacy import LegacyLayout
from .modern import ModernLayout
from .read import ReadLayout

LAYOUTS = (ModernLayout(), ReadLayout(), JdlLayout(), LegacyLayout())

__all__ = ["LAYOUTS"]
