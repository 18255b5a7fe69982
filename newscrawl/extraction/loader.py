"""The item loader: how raw strings from a page become ArticleItem field values.

Layouts add candidate values in order of preference; ``TakeFirst`` keeps the first one that
is not empty, so a layout can offer the visible headline and then og:title as a fallback.
"""

from __future__ import annotations

from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from ..items import ArticleItem
from .processors.bylines import split_authors
from .processors.text import normalize_space


def _to_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class ArticleLoader(ItemLoader):
    default_item_class = ArticleItem
    default_input_processor = MapCompose(normalize_space)
    default_output_processor = TakeFirst()

    article_id_in = MapCompose(_to_int)
    authors_in = MapCompose(split_authors)
    authors_out = Identity()
    tags_in = MapCompose(normalize_space)
    tags_out = Identity()
    images_in = Identity()
    images_out = Identity()
    body_in = Identity()
    page_count_in = MapCompose(_to_int)
    word_count_in = Identity()

    # itemloaders looks a field's processor up again on every add_value (a getattr, a new
    # ItemAdapter and the field metadata): a tenth of the extraction time. The processors here are
    # class attributes and ArticleItem's fields carry no processor metadata, so the answer for a
    # loader class and field never changes and is kept.
    _processors: dict[tuple[type, str, str], object] = {}

    def get_input_processor(self, field_name: str):
        key = (type(self), field_name, "in")
        if key not in self._processors:
            self._processors[key] = super().get_input_processor(field_name)
        return self._processors[key]

    def get_output_processor(self, field_name: str):
        key = (type(self), field_name, "out")
        if key not in self._processors:
            self._processors[key] = super().get_output_processor(field_name)
        return self._processors[key]


# Fields whose value is a list; everything else defaults to None when no source gave a value.
LIST_FIELDS = ("authors", "images", "tags")
