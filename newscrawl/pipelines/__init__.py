"""Item pipelines, one concern each, in ITEM_PIPELINES order: validate, dedupe, store.
The JSON lines export of each run is Scrapy's feed export (FEEDS setting), fed by what passes."""

from .dedupe import DedupePipeline
from .store import StorePipeline
from .validate import ValidatePipeline

__all__ = ["ValidatePipeline", "DedupePipeline", "StorePipeline"]
