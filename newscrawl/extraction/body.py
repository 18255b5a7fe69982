"""Turn an article's body container into paragraphs a reader reads.

One pass over the container's lxml tree in document order. Inline markup (strong, em, a,
span) keeps its words; block elements end a paragraph; a run of two or more <br> ends a
paragraph too (old layouts put the whole article in one <p> split by <br /><br />), and so does a
single <br> before a list item. What is not article text (ads, "Baca juga" boxes, embeds, inline
photo blocks, tags, page navigation, initials, syndication footers) is recognised by the site's
NoiseRules (extraction/noise.py): by markup first and by its exact wording second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from .noise import NoiseRules
from .processors.captions import split_caption
from .processors.text import normalize_body_text, normalize_space, split_editor_initials

_INLINE = frozenset(
    "a abbr b big cite code del dfn em font i ins kbd label mark q s samp small span strike strong sub sup time tt u var".split()
)
_BR = "\x00"
_BREAK_RUN = re.compile(r"(?:\s*\x00\s*){2,}")
_DATELINE_DASH = re.compile(r"^\s*[-\u2013\u2014]")
# A dateline in plain text (a JSON-LD articleBody, a page without the <strong>): up to three
# capitalised words, optionally ", <source>" ("Jakarta, CNN Indonesia --"), then a dash.
_PLAIN_DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w'.]*(?: [A-Z][\w'.]*){0,2})(?:, [A-Za-z][\w]*(?: [A-Z][\w]*){0,2})? (?:--?|\u2013|\u2014) (?=\S)")

# How the body walk ends an element: an inline one with its tail, a block with a paragraph break first.
_END_INLINE, _END_BLOCK = range(2)


@dataclass
class Body:
    paragraphs: list[str] = field(default_factory=list)
    dateline: str | None = None
    editor_initials: str | None = None
    images: list[dict] = field(default_factory=list)
    page_sections: int = 0
    # A syndication footer's channel label as printed ("detikBali") and the link it gives, if any.
    syndicated_label: str | None = None
    syndicated_url: str | None = None


def _classes(element) -> frozenset[str]:
    return frozenset((element.get("class") or "").split())


def _text_of(element) -> str:
    return "".join(element.itertext())


class _Walker:
    def __init__(self, base_url: str, noise: NoiseRules):
        self.base_url = base_url
        self.noise = noise
        self.buffer: list[str] = []
        self.result = Body()
        self.in_ad_region = False  # between the comments of NoiseRules.ad_region
        self.seen_content = False  # anything readable met yet (for the dateline)
        self.links: list[str] = []  # hrefs of the links in the buffer
        self.footer_links: dict[str, str | None] = {}  # footer paragraph -> its first link

    # -- output -------------------------------------------------------------------------
    def add_text(self, text: str | None) -> None:
        if not text or self.in_ad_region:
            return
        if not self.seen_content and text.strip():
            self.seen_content = True
        self.buffer.append(text)

    def flush(self) -> None:
        if not self.buffer:
            return
        raw = "".join(self.buffer)
        links, self.buffer, self.links = self.links, [], []
        noise = self.noise
        for chunk in _BREAK_RUN.split(raw):
            for line in self.list_items(chunk):
                text = normalize_body_text(noise.embed_placeholder.sub(" ", line))
                if text and not noise.noise_paragraph.match(text) and not noise.lead_in.match(text):
                    self.result.paragraphs.append(text)
                    if noise.footer.match(text):
                        self.footer_links[text] = links[0] if links else None

    def list_items(self, chunk: str) -> list[str]:
        """The chunk's lines joined by one space, except where a line starts a list item."""
        items: list[str] = []
        for line in chunk.split(_BR):
            if items and not self.noise.list_item.match(line.lstrip()):
                items[-1] += " " + line
            else:
                items.append(line)
        return items

    # -- tree walk ------------------------------------------------------------------------
    # An explicit stack instead of recursion: a page may nest elements as deep as the parser allows
    # (libxml2 stops at 2048 levels), far past Python's recursion limit. Each open element is
    # on the stack with the iterator of its children; once they are done its end is written
    # (the paragraph break of a block, then its tail), in document order as a recursive walk would.
    def walk(self, container) -> None:
        self.add_text(container.text)
        stack: list = [(None, container, iter(container))]
        while stack:
            end, element, children = stack[-1]
            child = next(children, None)
            if child is not None:
                self.enter(child, stack)
                continue
            stack.pop()
            if end == _END_BLOCK:
                self.flush()
            if end is not None:
                self.add_text(element.tail)

    def enter(self, element, stack: list) -> None:
        noise = self.noise
        if not isinstance(element.tag, str):  # comment or processing instruction
            marker = (element.text or "").strip().lower() if element.tag is etree.Comment else ""
            if noise.ad_region and marker == noise.ad_region[0]:
                self.in_ad_region = True
            elif noise.ad_region and marker == noise.ad_region[1]:
                self.in_ad_region = False
            self.add_text(element.tail)
            return
        if self.in_ad_region:
            return
        tag = element.tag.lower()
        classes = _classes(element)  # read once: every test below looks at them
        if not noise.lead_photo_classes.isdisjoint(classes):
            pass  # the lead photo, which the layout reads as such
        elif tag == "figure" or not noise.photo_classes.isdisjoint(classes):
            self.add_photo(element)
        elif self.is_noise(element, tag, classes) or self.is_noise_by_wording(element, tag):
            pass
        elif tag == "br":
            self.buffer.append(_BR)
        elif tag in _INLINE:
            self.check_dateline(element, tag)
            if tag == "a" and element.get("href"):
                self.links.append(urljoin(self.base_url, element.get("href").strip()))
            self.open(element, _END_INLINE, stack)
            return
        else:
            if tag == "section" and "multi-card" in classes:
                self.result.page_sections += 1
            self.flush()  # a block starts a paragraph ...
            self.open(element, _END_BLOCK, stack)  # ... and ends one (_END_BLOCK)
            return
        self.add_text(element.tail)

    def open(self, element, end: int, stack: list) -> None:
        """Write the element's own text; its children come next, then its end."""
        self.add_text(element.text)
        stack.append((end, element, iter(element)))

    def is_noise(self, element, tag: str, classes: frozenset[str]) -> bool:
        noise = self.noise
        if tag in noise.drop_tags or not noise.drop_classes.isdisjoint(classes):
            return True
        return bool(noise.drop_id_prefixes) and (element.get("id") or "").startswith(noise.drop_id_prefixes)

    def is_noise_by_wording(self, element, tag: str) -> bool:
        noise = self.noise
        if tag == "p" and element.find(".//a") is not None and noise.related_link.match(_text_of(element)):
            return True
        if tag in ("strong", "b", "p", "h2", "h3", "h4"):
            return bool(noise.lead_in.match(_text_of(element).strip()))
        return False

    def check_dateline(self, element, tag: str) -> None:
        """<strong>Jakarta</strong> - as the first readable thing of the body is the dateline."""
        if self.seen_content or tag not in ("strong", "b"):
            return
        place = normalize_space(_text_of(element))
        place = place.rstrip(",").rstrip() if place else place  # 2012: "<strong>Kairo,</strong> - "
        if place and len(place) <= 40 and _DATELINE_DASH.match(element.tail or ""):
            self.result.dateline = place

    def add_photo(self, element) -> None:
        images = element.xpath(".//img[@src]")
        if not images:
            return
        captions = element.xpath(".//figcaption")
        caption_text = _text_of(captions[0]) if captions else _text_of(element)
        caption, credit = split_caption(caption_text)
        self.result.images.append(
            {"url": urljoin(self.base_url, images[0].get("src").strip()), "caption": caption, "credit": credit}
        )

    # -- finishing --------------------------------------------------------------------------
    def finish(self) -> Body:
        self.flush()
        paragraphs = self.result.paragraphs
        self.drop_footer(paragraphs)
        if paragraphs:
            last, initials = split_editor_initials(paragraphs[-1])
            if initials:
                self.result.editor_initials = initials
                if last:
                    paragraphs[-1] = last
                else:
                    paragraphs.pop()
        self.drop_footer(paragraphs)  # a footer printed after the initials
        dateline = self.result.dateline
        if dateline is None and paragraphs:
            self.result.dateline = plain_dateline(paragraphs[0])
        if dateline and len(paragraphs) >= 2 and re.fullmatch(re.escape(dateline) + r"\s*[-\u2013\u2014]", paragraphs[0]):
            paragraphs[0:2] = [f"{paragraphs[0]} {paragraphs[1]}"]
        return self.result

    def drop_footer(self, paragraphs: list[str]) -> None:
        """A syndication footer at the end, and the separator line right before it."""
        noise = self.noise
        while paragraphs and (footer := noise.footer.match(paragraphs[-1])):
            self.result.syndicated_label = footer.groupdict().get("channel")
            self.result.syndicated_url = self.footer_links.get(paragraphs[-1])
            paragraphs.pop()
            if paragraphs and noise.footer_separator.match(paragraphs[-1]):
                paragraphs.pop()


def plain_dateline(paragraph: str) -> str | None:
    """The place of a dateline printed as plain text at the start of the first paragraph, or None."""
    match = _PLAIN_DATELINE.match(paragraph)
    return match["place"] if match else None


def extract_body(container, base_url: str, noise: NoiseRules) -> Body:
    """Paragraphs, dateline, editor initials and inline photos of a body container (lxml element)."""
    walker = _Walker(base_url, noise)
    walker.walk(container)
    return walker.finish()

