"""Storage of articles and their revisions in SQLite or PostgreSQL (no Scrapy here).

Typical use::

    from newscrawl.storage import open_database, resolve_database_url

    db = open_database(resolve_database_url(settings_value))
    statuses = db.store_articles(records, reason="crawl", run_id=run_id)

The names below are imported from their modules when first asked for, so that a module of the
package that needs no database (``records``: the schema's fields, validation, hashing) can be
imported without SQLAlchemy: ``import --jobs`` workers validate records and never open a database,
and SQLAlchemy is ~0.3 s of their start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_MODULE_OF = {
    "BadDatabaseUrl": "database",
    "Database": "database",
    "DatabaseUnavailable": "database",
    "UnversionedDatabase": "database",
    "open_database": "database",
    "Refusal": "errors",
    "RunLock": "locks",
    "RunLockHeld": "locks",
    "Stats": "reads",
    "ARTICLE_FIELDS": "records",
    "InvalidRecord": "records",
    "fields_hash": "records",
    "normalise_record": "records",
    "DATABASE_URL_ENV": "urls",
    "DEFAULT_DATABASE_URL": "urls",
    "mask_password": "urls",
    "resolve_database_url": "urls",
    "REASONS": "writes",
    "Status": "writes",
}

__all__ = [
    "ARTICLE_FIELDS",
    "BadDatabaseUrl",
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "REASONS",
    "RunLock",
    "RunLockHeld",
    "Database",
    "DatabaseUnavailable",
    "InvalidRecord",
    "Refusal",
    "Stats",
    "UnversionedDatabase",
    "Status",
    "fields_hash",
    "mask_password",
    "normalise_record",
    "open_database",
    "resolve_database_url",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


if TYPE_CHECKING:
    from newscrawl.storage.database import BadDatabaseUrl, Database, DatabaseUnavailable, UnversionedDatabase, open_database
    from newscrawl.storage.errors import Refusal
    from newscrawl.storage.locks import RunLock, RunLockHeld
    from newscrawl.storage.reads import Stats
    from newscrawl.storage.records import ARTICLE_FIELDS, InvalidRecord, fields_hash, normalise_record
    from newscrawl.storage.urls import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, mask_password, resolve_database_url
    from newscrawl.storage.writes import REASONS, Status
