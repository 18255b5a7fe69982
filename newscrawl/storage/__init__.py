"""Storage of articles and their revisions in SQLite or PostgreSQL (no Scrapy here).

Typical use::

    from newscrawl.storage import open_database, resolve_database_url

    db = open_database(resolve_database_url(settings_value))
    statuses = db.store_articles(records, reason="crawl", run_id=run_id)
"""

from newscrawl.storage.database import (
    BadDatabaseUrl,
    Database,
    DatabaseUnavailable,
    UnversionedDatabase,
    open_database,
)
from newscrawl.storage.errors import Refusal
from newscrawl.storage.locks import RunLock, RunLockHeld
from newscrawl.storage.reads import Stats
from newscrawl.storage.records import ARTICLE_FIELDS, InvalidRecord, fields_hash, normalise_record
from newscrawl.storage.urls import (
    DATABASE_URL_ENV,
    DEFAULT_DATABASE_URL,
    mask_password,
    resolve_database_url,
)
from newscrawl.storage.writes import REASONS, Status

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
