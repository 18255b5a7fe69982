"""Alembic environment: always run on a connection handed over by newscrawl.storage.

There is no alembic.ini; ``newscrawl.storage.migrate`` builds the configuration and
passes the open connection in ``config.attributes["connection"]``.
"""

from alembic import context

from newscrawl.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through newscrawl.storage (newscrawl db upgrade), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
