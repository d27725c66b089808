"""The run search language: what parses into comparisons, and what is refused naming where."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.errors import InvalidArgument
from services.core.modeling.run_filter import Comparison, OrderKey, parse_filter, parse_order_by


def test_comparisons_of_every_kind():
    parsed = parse_filter(
        "metrics.sharpe_ratio > 1.2 and params.model_family = \"LIGHTGBM\" AND tags.stage != 'draft' "
        "and attributes.status = 'FINISHED' and metrics.`val loss` <= -3e-2 and params.name LIKE 'btc%' "
        "and attributes.start_time >= 1700000000000 and run.run_name ILIKE \"Trial ''7''\""
    )
    assert parsed == (
        Comparison("metric", "sharpe_ratio", ">", 1.2),
        Comparison("param", "model_family", "=", "LIGHTGBM"),
        Comparison("tag", "stage", "!=", "draft"),
        Comparison("attribute", "status", "=", "FINISHED"),
        Comparison("metric", "val loss", "<=", -0.03),
        Comparison("param", "name", "LIKE", "btc%"),
        Comparison("attribute", "start_time", ">=", 1.7e12),
        Comparison("attribute", "display_name", "ILIKE", "Trial ''7''"),  # only the quote itself doubles
    )
    assert parse_filter("") == ()
    assert parse_filter("   ") == ()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("metrics.sharpe > 1 or 1 = 1", "at character 20: comparisons are joined by 'and'"),
        ("metrics.sharpe > 1; DROP TABLE experiment_runs", "at character 19: unexpected ';'"),
        ("params.model = 'x' --", "at character 20: unexpected '-'"),
        ("(metrics.sharpe > 1)", "at character 1: unexpected '('"),
        ("metrics.sharpe > '1'", "at character 18: metrics.sharpe compares with a number"),
        ("params.model > 'a'", "at character 14: expected one of != = ILIKE LIKE after params.model"),
        ("params.model = lgbm", "at character 16: params.model compares with a quoted string"),
        ("sharpe > 1", "at character 1: expected a field such as metrics.sharpe_ratio"),
        ("secrets.password = 'x'", "at character 1: unknown field type 'secrets'"),
        ("attributes.owner_id = 'bob'", "at character 1: unknown attribute 'owner_id'"),
        ("attributes.status = 'DONE'", "at character 21: a status is one of"),
        ("metrics.sharpe > 1 and", "at character 20: a comparison must follow 'and'"),
        ("metrics.sharpe >", "at character 1: a comparison needs a field, an operator and a value"),
        ("params.a = 'unterminated", 'at character 12: unexpected "\'"'),
        ("metrics.x > 1e999", "at character 13: a finite number"),
        ("params.a = '\x00'", "at character 12: a string of at most 6000 characters, without NUL"),
        ("tags.t = 'x' and tags.t = ''''''' ", 'at character 33: unexpected "\'"'),
        ("metrics.x = 1 " + "and metrics.x = 1 " * 30, "at most 30 comparisons"),
        ("x" * 5000, "a filter of at most 4000 characters"),
    ],
)
def test_hostile_or_broken_filters_are_refused_naming_where(text, where):
    with pytest.raises(InvalidArgument) as caught:
        parse_filter(text)
    (violation,) = caught.value.violations
    assert violation.field == "filter"
    assert where in violation.description


def test_order_keys():
    assert parse_order_by(["metrics.sharpe_ratio DESC", "attributes.start_time", "params.seed asc"]) == (
        OrderKey("metric", "sharpe_ratio", True),
        OrderKey("attribute", "start_time", False),
        OrderKey("param", "seed", False),
    )
    for bad in (["metrics.a DESC; DROP"], ["metrics.a sideways"], ["1"], ["a", "b", "c", "d"]):
        with pytest.raises(InvalidArgument):
            parse_order_by(bad)


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_cleanly(text):
    """Whatever the text, the parser returns comparisons or refuses it as a bad filter: nothing else."""
    outcome: object
    try:
        outcome = parse_filter(text)
    except InvalidArgument as error:
        outcome = error
    if isinstance(outcome, InvalidArgument):
        assert [violation.field for violation in outcome.violations] == ["filter"]
    else:
        assert all(isinstance(item, Comparison) for item in outcome)
