"""The replica of the site as the end-to-end tests use it, and the storage tests' database fixtures."""

from tests.e2e.conftest import replica  # noqa: F401 (fixtures, registered by import)
from tests.storage.support import (  # noqa: F401
    database,
    database_url,
    no_database_url_from_environment,
    postgres_url,
    sqlite_url,
)
