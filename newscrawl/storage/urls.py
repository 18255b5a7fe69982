"""Which database to use; messages name it through newscrawl.masking.mask_password."""

from __future__ import annotations

import os

from newscrawl.masking import mask_password

__all__ = ["DATABASE_URL_ENV", "DEFAULT_DATABASE_URL", "mask_password", "resolve_database_url"]

DATABASE_URL_ENV = "NEWSCRAWL_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///exports/newscrawl.sqlite3"


def resolve_database_url(setting: str | None = None) -> str:
    """The database URL: $NEWSCRAWL_DATABASE_URL, else the given setting, else the SQLite default."""
    return os.environ.get(DATABASE_URL_ENV) or setting or DEFAULT_DATABASE_URL
