"""Database expressions the analysis needs that Django does not ship, for PostgreSQL and SQLite."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Aggregate, Count, Expression, FloatField, Func, IntegerField, QuerySet


class DaysBetween(Func):
    """Whole days from `start` to `end` (two DateFields), computed in the database."""

    arity = 2
    output_field = IntegerField()

    def __init__(self, start, end, **extra):
        # The expressions are stored end first: "end - start".
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the continuous percentile, interpolated between ranks."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, fraction: float, expression, **extra):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("a percentile is a fraction between 0 and 1")
        super().__init__(expression, fraction=repr(fraction), **extra)


def percentiles(
    queryset: QuerySet, expression: Expression, fractions: tuple[float, ...] = (0.5, 0.9)
) -> tuple[int, dict[float, float | None]]:
    """How many rows, and the continuous percentiles of `expression` over them.

    PostgreSQL: one query with percentile_cont. Elsewhere (SQLite): the count, then
    for each fraction the one or two values around its rank, sorted and picked by the
    database (ORDER BY ... LIMIT 2 OFFSET k), interpolated exactly as percentile_cont
    does: rank = fraction × (n − 1). Never reads every row into Python.
    """
    queryset = queryset.order_by()
    if connection.vendor == "postgresql":
        result = queryset.aggregate(
            n=Count("pk"),
            **{f"p{i}": PercentileCont(f, expression) for i, f in enumerate(fractions)},
        )
        return result["n"], {f: result[f"p{i}"] for i, f in enumerate(fractions)}
    n = queryset.count()
    values: dict[float, float | None] = {}
    if n == 0:
        return 0, dict.fromkeys(fractions)
    ordered = queryset.annotate(_days=expression).order_by("_days").values_list("_days", flat=True)
    for fraction in fractions:
        rank = fraction * (n - 1)
        low = math.floor(rank)
        around = list(ordered[low : low + 2])
        share = rank - low
        if share == 0 or len(around) == 1:
            values[fraction] = float(around[0])
        else:
            values[fraction] = around[0] + share * (around[1] - around[0])
    return n, values


@contextmanager
def without_jit() -> Iterator[None]:
    """Run the analysis queries without PostgreSQL's JIT compiler.

    The planner's cost estimate for the per-complaint term expressions passed
    jit_above_cost (measured when they still held a correlated look-up of the
    extension notice; now they read the complaint's own columns), and compiling
    takes seconds where the query itself takes milliseconds. `SET LOCAL` ends with
    the transaction, so nothing else is affected. Elsewhere this does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield
