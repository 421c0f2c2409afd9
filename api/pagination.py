"""Cursor pagination of every list: newest first, `limit` and `starting_after`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema

from commerce.ids import parse_id

from .errors import invalid

M = TypeVar("M", bound=Model)


class ListParams(Schema):
    limit: int = Field(10, ge=1, le=100, description="How many objects to return, 1 to 100.")
    starting_after: str | None = Field(
        None, description="An object id: the list continues after it (the last id of a page)."
    )


def page(
    queryset: QuerySet[M],
    params: ListParams,
    render: Callable[[M], dict[str, Any]],
    cursor: Callable[[str], int | None] = parse_id,
) -> dict[str, Any]:
    """One page in one query: `limit` objects after the cursor, and whether more follow.
    `cursor` turns `starting_after` into a row id (objects with public ids look it up)."""
    rows = queryset.order_by("-id")
    if params.starting_after is not None:
        after = cursor(params.starting_after)
        if after is None:
            raise invalid("starting_after must be an object id.", "starting_after")
        rows = rows.filter(id__lt=after)
    found = list(rows[: params.limit + 1])
    return {
        "object": "list",
        "data": [render(obj) for obj in found[: params.limit]],
        "has_more": len(found) > params.limit,
    }
