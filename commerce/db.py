"""Database helpers the ORM has no cheap form for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError, connection, models


def update_rows(
    model: type[models.Model], rows: Sequence[tuple[Any, dict[str, Any]]], fields: Sequence[str]
) -> None:
    """Sets `fields` of each row (primary key, {field: value}) to its own values.

    On PostgreSQL that is one `UPDATE … FROM (VALUES …)` statement for all the rows;
    `bulk_update` would build a CASE expression per field and row, which costs more CPU
    than the round trips it saves. Elsewhere it is one UPDATE per row. The caller holds
    the locks (and the transaction) it needs.
    """
    if not rows:
        return
    meta = model._meta
    columns: list[models.Field] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is not a concrete field"
        columns.append(field)
    manager = model._default_manager
    if connection.vendor != "postgresql":
        for pk, values in rows:
            manager.filter(pk=pk).update(**{name: values[name] for name in fields})
        return
    pk_field = meta.pk
    assert pk_field is not None
    quote = connection.ops.quote_name
    # Every value carries its column's type: VALUES would otherwise guess text.
    casts = [pk_field.cast_db_type(connection)] + [c.cast_db_type(connection) for c in columns]
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    params: list[Any] = []
    for pk, values in rows:
        params.append(pk_field.get_db_prep_value(pk, connection))
        for column in columns:
            params.append(column.get_db_prep_save(values[column.name], connection))
    names = [quote(str(f.column)) for f in (pk_field, *columns)]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments}"  # noqa: S608 (names quoted, values bound)
        f" FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v({', '.join(names)})"
        f" WHERE t.{names[0]} = v.{names[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    """The first row of a read, without the health-check round trip Django makes before
    a request's first query (CONN_HEALTH_CHECKS).

    For the hottest public read (the checkout page's): instead of asking first whether
    the idle connection still works, run the read; when the connection turns out to be
    dead, the read fails and runs once more on a new one, which is what the health
    check would have done, minus a round trip on every request. Inside a transaction
    nothing can be retried, so Django's own rules apply.
    """
    if connection.in_atomic_block:
        return _fetch_one(sql, params)
    connection.ensure_connection()
    connection.health_check_done = True  # type: ignore[attr-defined]
    try:
        return _fetch_one(sql, params)
    except (OperationalError, InterfaceError):
        connection.close()
        return _fetch_one(sql, params)


def _fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
