"""Which database to use, and how to name it in messages without leaking a password."""

from __future__ import annotations

import os
import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATABASE_URL_ENV = "NEWSCRAWL_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///exports/newscrawl.sqlite3"

# Fallback for strings SQLAlchemy cannot parse: hide whatever sits between "user:" and "@".
_USERINFO_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*(@)")


def resolve_database_url(setting: str | None = None) -> str:
    """The database URL: $NEWSCRAWL_DATABASE_URL, else the given setting, else the SQLite default."""
    return os.environ.get(DATABASE_URL_ENV) or setting or DEFAULT_DATABASE_URL


def mask_password(url: str) -> str:
    """The URL with its password replaced by ***, fit for logs and error messages."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return _USERINFO_PASSWORD.sub(r"\1***\2", url)
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)
