import pytest

from tests.replica import Replica
from tests.storage.support import (  # noqa: F401  (fixtures, registered by import)
    no_database_url_from_environment,
    postgres_url,
    sqlite_url,
)


@pytest.fixture(scope="package")
def replica():
    with Replica() as server:
        yield server
