from tests.storage.support import (  # noqa: F401  (fixtures, registered by import)
    database,
    database_url,
    no_database_url_from_environment,
    postgres_url,
    sqlite_url,
)
