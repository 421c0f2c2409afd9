"""Bulk writes of the delivery hot path, in SQL whose text does not grow with the batch.

A worker's batch touches a hundred rows at a time. Through the ORM, `pk__in=ids` and
`bulk_create` write one placeholder per value, so every statement's text is new:
psycopg splits it with a regular expression and PostgreSQL parses and plans it again
(together, most of a batch's cost under cProfile). Here, on PostgreSQL, a list of ids is
one array parameter (`pk__any_of=ids`: `id = ANY(%s::bigint[])`) and rows are inserted
from one array per column (`unnest`): the text is the same for every batch, so psycopg
converts it once and, with server-side binding (settings), PostgreSQL runs it as a
prepared statement. Each array is sent as one text literal (`{1,2,3}`), written here:
psycopg's own array dumper costs 1 to 6 µs per element in Python, more than the row's
INSERT. SQLite, whose parameters cost nothing, gets the usual list of placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup

CHUNK = 500


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _postgres(conn: BaseDatabaseWrapper) -> bool:
    return conn.vendor == "postgresql"


def array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of ints, strings and aware datetimes (None: NULL),
    every string quoted with its backslashes and double quotes escaped (the array
    syntax), so any text goes through as it is."""
    values = list(values)
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    parts = []
    for value in values:
        kind = type(value)
        if kind is int:
            parts.append(str(value))
        elif value is None:
            parts.append("NULL")
        else:
            text = value if kind is str else value.isoformat() if kind is datetime else str(value)
            parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


class AnyOf(Lookup):
    """`pk__any_of=ids`: `id = ANY(%s::bigint[])` with one array parameter on
    PostgreSQL, `id IN (%s, …)` elsewhere. Registered on the hot path's primary keys."""

    lookup_name = "any_of"

    def get_prep_lookup(self) -> list[Any]:
        return [self.lhs.output_field.get_prep_value(v) for v in self.rhs]

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> Any:
        lhs, params = self.process_lhs(compiler, connection)
        if _postgres(connection):
            array = f"%s::{self.lhs.output_field.db_type(connection)}[]"
            return f"{lhs} = ANY({array})", [*params, array_literal(self.rhs)]
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*params, *self.rhs]


def update(model: type[models.Model], ids: Sequence[int], **values: Any) -> int:
    """UPDATE `model` SET `values` (by field name) WHERE its primary key is in `ids`, in
    one statement per CHUNK ids; returns how many rows changed. The ORM's update would
    cost a compilation per call (a quarter of a millisecond) for the same SQL."""
    meta = model._meta
    fields: list[models.Field] = []
    for name in values:
        field = meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is not a concrete field"
        fields.append(field)
    assignments = ", ".join(f"{_qn(str(f.column))} = %s" for f in fields)
    params = [
        f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values(), strict=True)
    ]
    pk = meta.pk
    assert pk is not None
    head = f"UPDATE {_qn(meta.db_table)} SET {assignments} WHERE {_qn(str(pk.column))}"  # noqa: S608
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            if _postgres(connection):
                cursor.execute(
                    f"{head} = ANY(%s::{pk.db_type(connection)}[])", [*params, array_literal(chunk)]
                )
            else:
                cursor.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])
            changed += cursor.rowcount
    return changed


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    same: dict[str, Any] | None = None,
    on_conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT `rows` (tuples of values in the order of `columns`: ints, strings, aware
    datetimes, None), each with the `same` values in the other columns, in one statement
    per CHUNK rows; with `on_conflict`, rows that would break that unique set are
    skipped. Returns the `returning` columns of the rows inserted (on SQLite, 3.35 or
    later)."""
    rows = list(rows)
    if not rows:
        return []
    same = same or {}
    table = _qn(model._meta.db_table)
    names = ", ".join(_qn(c) for c in [*columns, *same])
    tail = f" ON CONFLICT ({', '.join(map(_qn, on_conflict))}) DO NOTHING" if on_conflict else ""
    if returning:
        tail += f" RETURNING {', '.join(map(_qn, returning))}"
    adapt = connection.ops.adapt_datetimefield_value
    constants = [adapt(v) if isinstance(v, datetime) else v for v in same.values()]
    fields = {f.column: f for f in model._meta.concrete_fields}
    inserted: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            if _postgres(connection):
                arrays = ", ".join(f"%s::{fields[c].db_type(connection)}[]" for c in columns)
                extra = "".join(f", %s::{fields[c].db_type(connection)}" for c in same)
                sql = f"INSERT INTO {table} ({names}) SELECT *{extra} FROM unnest({arrays})"  # noqa: S608
                params = constants + [array_literal(c) for c in zip(*chunk, strict=True)]
            else:
                one = f"({', '.join(['%s'] * (len(columns) + len(same)))})"
                sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
                params = [
                    adapt(v) if isinstance(v, datetime) else v
                    for row in chunk
                    for v in (*row, *constants)
                ]
            cursor.execute(sql + tail, params)
            if returning:
                inserted += cursor.fetchall()
    return inserted
