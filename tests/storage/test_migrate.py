"""The schema's revision is known without alembic: its migration scripts are read, and alembic imported,
only to migrate or stamp, so every command opens an up-to-date database quickly."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from newscrawl.storage import migrate, open_database

# Prints the schema revision open_database finds and whether alembic was imported to find it.
OPEN_AND_REPORT = (
    "import sys\n"
    "from newscrawl.storage import open_database\n"
    "with open_database(sys.argv[1]) as database:\n"
    "    print(database.schema_revision(), 'alembic' in sys.modules)\n"
)


def _run(code: str, *arguments: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_revisions_named_in_code_are_the_migration_scripts_oldest_first():
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    walked = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert migrate.revisions() == walked
    assert migrate.head_revision() == scripts.get_current_head() == walked[-1]


def test_a_new_database_is_migrated_with_alembic_and_an_up_to_date_one_opened_without(database_url):
    head = migrate.head_revision()
    assert _run(OPEN_AND_REPORT, database_url) == f"{head} True"  # new: alembic ran the migrations
    assert _run(OPEN_AND_REPORT, database_url) == f"{head} False"  # current: one query, no alembic


def test_an_older_revision_is_still_found_and_migrated(sqlite_url):
    with open_database(sqlite_url) as database:
        with database.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0006'"))
        assert migrate.current_revision(database.engine) == "0006"
    with open_database(sqlite_url) as database:
        assert database.schema_revision() == migrate.head_revision()


def test_the_parser_imports_no_command_and_neither_pyarrow_nor_alembic():
    code = (
        "import sys\n"
        "from newscrawl.cli.app import build_parser\n"
        "build_parser()\n"
        "print(sorted(name for name in sys.modules if name in ('pyarrow', 'alembic', 'scrapy')\n"
        "             or name.startswith('newscrawl.cli.') and name.rsplit('.', 1)[1] in\n"
        "             ('export', 'load', 'stats', 'diff', 'db', 'imports', 'reextract', 'wacz', 'dedupe')))\n"
    )
    assert _run(code) == "[]"
