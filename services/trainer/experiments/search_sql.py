"""A parsed run search as SQL: every key and value a bound parameter, every SQL word from a table here.

The parser (`services.core.modeling.run_filter`) returns comparisons; this module maps their kind,
operator and attribute name through the fixed tables below, so the only text of the user's that
reaches PostgreSQL travels as a parameter (`$n`), never inside the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.core.modeling.run_filter import TIME_ATTRIBUTES, Comparison, OrderKey

ATTRIBUTE_COLUMNS = {
    "status": "r.status",
    "display_name": "r.display_name",
    "job_id": "r.job_id",
    "start_time": "r.start_time",
    "end_time": "r.end_time",
}
KEYED_TABLES = {"param": "experiment_params", "tag": "experiment_tags", "metric": "experiment_latest_metrics"}
SQL_OPERATORS = {
    "=": "=",
    "!=": "<>",
    ">": ">",
    ">=": ">=",
    "<": "<",
    "<=": "<=",
    "LIKE": "LIKE",
    "ILIKE": "ILIKE",
}
DEFAULT_ORDER = "r.start_time DESC, r.id DESC"


class Parameters:
    """The statement's parameters; `bind` returns the placeholder of a new one."""

    def __init__(self, *first: Any) -> None:
        self.values: list[Any] = list(first)

    def bind(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def condition(comparison: Comparison, parameters: Parameters) -> str:
    operator = SQL_OPERATORS[comparison.operator]
    if comparison.kind == "attribute":
        column = ATTRIBUTE_COLUMNS[comparison.key]
        if comparison.key in TIME_ATTRIBUTES:
            value = parameters.bind(float(comparison.value))
            return f"{column} {operator} to_timestamp({value}::double precision / 1000.0)"
        return f"{column} {operator} {parameters.bind(str(comparison.value))}"
    table = KEYED_TABLES[comparison.kind]
    key = parameters.bind(comparison.key)
    value = parameters.bind(comparison.value)
    cast = "::double precision" if comparison.kind == "metric" else "::text"
    return (
        f"EXISTS (SELECT 1 FROM {table} x WHERE x.run_id = r.id AND x.key = {key}"  # noqa: S608 - fixed names
        f" AND x.value {operator} {value}{cast})"
    )


def order_clause(keys: Sequence[OrderKey], parameters: Parameters) -> str:
    parts = []
    for key in keys:
        if key.kind == "attribute":
            expression = ATTRIBUTE_COLUMNS[key.key]
        else:
            table = KEYED_TABLES[key.kind]
            bound = parameters.bind(key.key)
            expression = f"(SELECT x.value FROM {table} x WHERE x.run_id = r.id AND x.key = {bound})"  # noqa: S608
        parts.append(f"{expression} {'DESC' if key.descending else 'ASC'} NULLS LAST")
    return ", ".join([*parts, DEFAULT_ORDER])
