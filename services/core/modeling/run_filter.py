"""The filter and order language of experiment run searches (a subset of MLflow's), parsed, never run.

    metrics.sharpe_ratio > 1.2 and params.model_family = "LIGHTGBM" and tags.stage != 'draft'
        and attributes.status = "FINISHED"

A filter is comparisons joined by `and` (no `or`, no parentheses, no functions). Each compares
one field of a run with one literal:
- `metrics.<key>` (the latest value of the metric) with a number: = != > >= < <=
- `params.<key>` and `tags.<key>` with a string: = != LIKE ILIKE (a run without the key never
  matches, as in MLflow)
- `attributes.status` (RUNNING, FINISHED, ...), `attributes.display_name` / `run_name`,
  `attributes.job_id` with a string (= != LIKE ILIKE), and `attributes.start_time` /
  `end_time` with a number of milliseconds since the epoch (= != > >= < <=).
A key is letters, digits and `_ - . / :`, or anything but a backtick between backticks
(metrics.`val loss`). Strings are in single or double quotes; a doubled quote stands for itself.

The parser returns data (`Comparison`s) that the store binds as query parameters: no part of the
text ever becomes code or SQL. Anything else is refused with INVALID_ARGUMENT naming the
character where reading stopped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.core.errors import FieldViolation, InvalidArgument

Kind = Literal["metric", "param", "tag", "attribute"]

MAX_FILTER_LENGTH = 4000
MAX_COMPARISONS = 30
MAX_ORDER_KEYS = 3
MAX_KEY_LENGTH = 250
MAX_VALUE_LENGTH = 6000

KINDS: dict[str, Kind] = {
    "metrics": "metric", "metric": "metric",
    "params": "param", "param": "param", "parameters": "param",
    "tags": "tag", "tag": "tag",
    "attributes": "attribute", "attribute": "attribute", "attr": "attribute", "run": "attribute",
}  # fmt: skip
STRING_ATTRIBUTES = frozenset({"status", "display_name", "run_name", "job_id"})
TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
RUN_STATUSES = frozenset({"SCHEDULED", "RUNNING", "FINISHED", "FAILED", "KILLED"})
NUMBER_OPERATORS = frozenset({"=", "!=", ">", ">=", "<", "<="})
STRING_OPERATORS = frozenset({"=", "!=", "LIKE", "ILIKE"})

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<field>[A-Za-z]+)\.(?:`(?P<quoted_key>[^`]{1,250})`|(?P<key>[A-Za-z0-9_\-./:]{1,250}))
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<string>"(?:[^"]|"")*"|'(?:[^']|'')*')
      | (?P<operator><=|>=|!=|=|<|>)
      | (?P<word>[A-Za-z]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Comparison:
    kind: Kind
    key: str
    operator: str  # one of NUMBER_OPERATORS or STRING_OPERATORS (LIKE / ILIKE upper-case)
    value: float | str


@dataclass(frozen=True, slots=True)
class OrderKey:
    kind: Kind
    key: str
    descending: bool


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    position: int
    field: str = ""
    key: str = ""


def _refuse(field: str, position: int, problem: str) -> InvalidArgument:
    return InvalidArgument(
        f"the {field} does not parse", [FieldViolation(field, f"at character {position + 1}: {problem}")]
    )


def _tokens(text: str, field: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _refuse(field, position, f"unexpected {text[position]!r}")
        kind = match.lastgroup or ""
        if kind in ("quoted_key", "key"):
            tokens.append(_Token("field", match.group(0), position, match.group("field"),
                                 match.group("quoted_key") or match.group("key")))  # fmt: skip
        elif kind != "space":
            tokens.append(_Token(kind, match.group(0), position))
        position = match.end()
    return tokens


def _field(token: _Token, field: str) -> tuple[Kind, str]:
    kind = KINDS.get(token.field.lower())
    if kind is None:
        raise _refuse(
            field, token.position, f"unknown field type {token.field!r}: metrics, params, tags, attributes"
        )
    key = token.key
    if kind == "attribute" and key not in STRING_ATTRIBUTES | TIME_ATTRIBUTES:
        known = ", ".join(sorted(STRING_ATTRIBUTES | TIME_ATTRIBUTES))
        raise _refuse(field, token.position, f"unknown attribute {key!r}: {known}")
    return kind, key


def _number(token: _Token, field: str) -> float:
    value = float(token.text)
    if not math.isfinite(value):
        raise _refuse(field, token.position, "a finite number")
    return value


def _string(token: _Token, field: str) -> str:
    quote = token.text[0]
    value = token.text[1:-1].replace(quote * 2, quote)
    if len(value) > MAX_VALUE_LENGTH or "\x00" in value:
        raise _refuse(
            field, token.position, f"a string of at most {MAX_VALUE_LENGTH} characters, without NUL"
        )
    return value


def _comparison(tokens: list[_Token], at: int, field: str) -> Comparison:
    subject, operator_token, value_token = tokens[at], tokens[at + 1], tokens[at + 2]
    if subject.kind != "field":
        raise _refuse(field, subject.position, "expected a field such as metrics.sharpe_ratio")
    kind, key = _field(subject, field)
    operator = operator_token.text.upper() if operator_token.kind in ("operator", "word") else ""
    numeric = kind == "metric" or (kind == "attribute" and key in TIME_ATTRIBUTES)
    allowed = NUMBER_OPERATORS if numeric else STRING_OPERATORS
    if operator not in allowed:
        raise _refuse(
            field,
            operator_token.position,
            f"expected one of {' '.join(sorted(allowed))} after {subject.text}",
        )
    if numeric:
        if value_token.kind != "number":
            raise _refuse(field, value_token.position, f"{subject.text} compares with a number")
        return Comparison(kind, key, operator, _number(value_token, field))
    if value_token.kind != "string":
        raise _refuse(field, value_token.position, f"{subject.text} compares with a quoted string")
    value = _string(value_token, field)
    if kind == "attribute" and key == "status" and operator in ("=", "!=") and value not in RUN_STATUSES:
        raise _refuse(field, value_token.position, f"a status is one of {', '.join(sorted(RUN_STATUSES))}")
    return Comparison(kind, "display_name" if key == "run_name" else key, operator, value)


def parse_filter(text: str, field: str = "filter") -> tuple[Comparison, ...]:
    """The comparisons of `text` (all must hold); empty for an empty filter."""
    if len(text) > MAX_FILTER_LENGTH:
        raise _refuse(field, MAX_FILTER_LENGTH, f"a filter of at most {MAX_FILTER_LENGTH} characters")
    tokens = _tokens(text, field)
    comparisons: list[Comparison] = []
    at = 0
    while at < len(tokens):
        if len(tokens) - at < 3:
            raise _refuse(field, tokens[at].position, "a comparison needs a field, an operator and a value")
        comparisons.append(_comparison(tokens, at, field))
        at += 3
        if at < len(tokens):
            joiner = tokens[at]
            if joiner.kind != "word" or joiner.text.lower() != "and":
                raise _refuse(
                    field, joiner.position, "comparisons are joined by 'and' (no 'or', no parentheses)"
                )
            at += 1
            if at == len(tokens):
                raise _refuse(field, joiner.position, "a comparison must follow 'and'")
        if len(comparisons) > MAX_COMPARISONS:
            raise _refuse(
                field, tokens[min(at, len(tokens) - 1)].position, f"at most {MAX_COMPARISONS} comparisons"
            )
    return tuple(comparisons)


def parse_order_by(items: Sequence[str], field: str = "order_by") -> tuple[OrderKey, ...]:
    """E.g. ["metrics.sharpe_ratio DESC", "attributes.start_time"]: ascending unless DESC."""
    if len(items) > MAX_ORDER_KEYS:
        raise InvalidArgument("too many order keys", [FieldViolation(field, f"at most {MAX_ORDER_KEYS}")])
    keys = []
    for index, item in enumerate(items):
        name = f"{field}[{index}]"
        tokens = _tokens(item, name)
        if not tokens or tokens[0].kind != "field" or len(tokens) > 2:
            raise _refuse(
                name, 0, 'expected a field and an optional ASC or DESC, e.g. "metrics.sharpe_ratio DESC"'
            )
        direction = tokens[1].text.upper() if len(tokens) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise _refuse(name, tokens[1].position, "ASC or DESC")
        kind, key = _field(tokens[0], name)
        keys.append(OrderKey(kind, "display_name" if key == "run_name" else key, direction == "DESC"))
    return tuple(keys)
