"""INSERTs run through the DB-API driver's executemany, their values encoded as SQLAlchemy binds them.

For many rows at once, SQLAlchemy's per-row parameter handling (building each row's parameters,
running every column's type processor, rendering its insertmanyvalues batches) costs more than the
database's insert. Here each column's bind processor is taken from SQLAlchemy once per dialect (so a
timestamp or JSON value is encoded exactly as the rest of the code stores it), a value shared by two
rows is encoded once, and the driver gets plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


def bind_processors(table: Table, dialect: Dialect) -> dict[str, Processor]:
    """The columns whose values SQLAlchemy converts before the driver sees them, with the conversion."""
    processors = {}
    for column in table.columns:
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[column.name] = processor
    return processors


class DriverInsert:
    """``INSERT INTO table (columns) VALUES (...) [suffix]`` with values encoded for one dialect."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect, suffix: str = "") -> None:
        unknown = set(columns) - set(table.columns.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.columns = tuple(columns)
        self.sql = (f"INSERT INTO {table.name} ({', '.join(self.columns)}) "
                    f"VALUES ({', '.join([mark] * len(self.columns))}){suffix}")
        self.processors = bind_processors(table, dialect)

    def encode(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values as the driver takes them (None stays None: no processor is asked about it)."""
        processors = self.processors
        return {name: value if value is None or name not in processors else processors[name](value)
                for name, value in values.items()}

    def row(self, encoded: Mapping[str, Any]) -> tuple:
        """One row's parameters from encoded values (a KeyError names a column left out)."""
        return tuple(map(encoded.__getitem__, self.columns))

    def execute(self, connection: Connection, rows: Iterable[tuple]) -> int:
        """Insert the rows; return how many the database inserted (ON CONFLICT may skip some)."""
        rows = list(rows)
        if not rows:  # the driver would run the statement once, with no values for its marks
            return 0
        return connection.exec_driver_sql(self.sql, rows).rowcount
