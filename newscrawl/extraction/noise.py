"""What is not article text inside a body container: the rules a site declares for the body walk.

Generic: the walk (extraction/body.py) knows how to apply them; each site's package says which
classes, ids, comment markers and wordings its pages use (e.g. newscrawl/sites/detik/noise.py).
Markup is tried first and wording second, so a changed ad class does not let "ADVERTISEMENT" into
a dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEVER = re.compile(r"(?!)")  # matches nothing

# Elements that never hold reader text, whatever the site.
DROP_TAGS = frozenset("script style noscript iframe form button svg object embed video audio select textarea".split())


@dataclass(frozen=True)
class NoiseRules:
    drop_tags: frozenset[str] = DROP_TAGS
    drop_classes: frozenset[str] = frozenset()  # an element with any of these classes is dropped whole
    drop_id_prefixes: tuple[str, ...] = ()
    photo_classes: frozenset[str] = frozenset()  # inline photo blocks: they go to `images`, not the text
    lead_photo_classes: frozenset[str] = frozenset()  # the lead photo, when a layout puts it in the body
    ad_region: tuple[str, str] | None = None  # comments opening and closing a region of ads
    noise_paragraph: re.Pattern = _NEVER  # a whole paragraph of this wording is dropped
    lead_in: re.Pattern = _NEVER  # an element starting with this (a video teaser) is dropped
    related_link: re.Pattern = _NEVER  # a <p> starting with this and holding a link ("Baca juga:")
    # Trailing paragraphs that say where a syndicated story first ran (a group named "channel"
    # captures the channel's label where the wording names it), and a separator line before them.
    footer: re.Pattern = _NEVER
    footer_separator: re.Pattern = _NEVER
    # A line after a single <br> starting like this begins a paragraph of its own (a list item).
    list_item: re.Pattern = _NEVER
    embed_placeholder: re.Pattern = _NEVER  # placeholder text of embeds, removed inside paragraphs
