"""The ``newscrawl`` command: export, load, stats, dedupe, diff, changes, db, and the archive's reextract,
import and wacz.

This module is kept small on purpose. The parser and the commands (newscrawl.cli.app) import
SQLAlchemy and the rest: about 0.4 s before any command runs. import and reextract extract on
worker processes (--jobs), whose modules (cli/import_worker.py, cli/reextract_worker.py) import the
extraction and no database (about half a second); their forkserver is started first, so it imports
them on the other core while this process imports the commands, and every worker is forked from it
ready.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# The commands that extract on --jobs worker processes, and the module whose functions the workers run.
WORKER_COMMANDS = {"import": "newscrawl.cli.import_worker", "reextract": "newscrawl.cli.reextract_worker"}


def default_jobs() -> int:
    """--jobs when not given: the machine's cores."""
    return os.cpu_count() or 1


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    module = workers_module(arguments)
    if module is not None:
        from newscrawl.process_pool import preload_workers

        preload_workers([module])
    from newscrawl.cli.app import main as run

    return run(arguments)


def workers_module(arguments: Sequence[str]) -> str | None:
    """The module the command's workers will run, if the command will start workers. Only a hint,
    read before the real parser runs: that parser decides, and a wrong guess costs time, not results."""
    if not arguments or arguments[0] not in WORKER_COMMANDS:
        return None
    jobs = None
    for position, argument in enumerate(arguments):
        if argument in ("--jobs", "-j") and position + 1 < len(arguments):
            jobs = arguments[position + 1]
        elif argument.startswith("--jobs="):
            jobs = argument[len("--jobs="):]
        elif argument.startswith("-j") and argument[2:].isdigit():
            jobs = argument[2:]
    processes = int(jobs) if jobs is not None and jobs.isdigit() else default_jobs()
    return WORKER_COMMANDS[arguments[0]] if processes > 1 else None
