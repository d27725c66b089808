"""Validation problems: how they are made, ordered, and turned into the domain's InvalidArgument.

Every problem names where it is (node, edge, parameter, port) so an editor can highlight it; the
same location becomes the FieldViolation's field, e.g. `nodes[rsi_1].parameters.period` or
`edges[e3]`, which is what CompileWorkflow's INVALID_ARGUMENT carries.
"""

from __future__ import annotations

from collections.abc import Iterable

from alphintra.workflow.v1.validation_pb2 import ProblemSeverity, ValidationProblem
from services.core.errors import FieldViolation, InvalidArgument

ERROR = ProblemSeverity.PROBLEM_SEVERITY_ERROR
WARNING = ProblemSeverity.PROBLEM_SEVERITY_WARNING

# Ids longer than this are refused by validation and cut short in messages.
MAX_ID_LENGTH = 100


def error(code: str, message: str, **where: str) -> ValidationProblem:
    """A problem that stops the graph from compiling; `where` is node_id, edge_id, parameter, port."""
    return ValidationProblem(severity=ERROR, code=code, message=message, **where)


def warning(code: str, message: str, **where: str) -> ValidationProblem:
    """A problem that lets the graph compile, though probably not as meant."""
    return ValidationProblem(severity=WARNING, code=code, message=message, **where)


def shown_id(identifier: str) -> str:
    """An id for a message: quoted, escaped and cut short, so no id can forge or flood the text."""
    text = repr(identifier)
    return text if len(text) <= MAX_ID_LENGTH + 2 else text[:MAX_ID_LENGTH] + "…'"


def ordered(problems: Iterable[ValidationProblem]) -> list[ValidationProblem]:
    """Errors first, each group in the order found (the order of the graph)."""
    listed = list(problems)
    return [item for item in listed if item.severity == ERROR] + [
        item for item in listed if item.severity != ERROR
    ]


def errors_of(problems: Iterable[ValidationProblem]) -> list[ValidationProblem]:
    return [item for item in problems if item.severity == ERROR]


def field_of(problem: ValidationProblem) -> str:
    """The FieldViolation field naming the problem's location."""
    if problem.edge_id and not problem.node_id:
        return f"edges[{_cut(problem.edge_id)}]"
    if not problem.node_id:
        return "graph"
    field = f"nodes[{_cut(problem.node_id)}]"
    if problem.parameter:
        section = "optimization_ranges" if problem.code == "INVALID_OPTIMIZATION_RANGE" else "parameters"
        return f"{field}.{section}.{_cut(problem.parameter)}"
    if problem.port:
        return f"{field}.inputs.{_cut(problem.port)}"
    return field


def problems_to_error(
    problems: Iterable[ValidationProblem], message: str = "the workflow graph is invalid"
) -> InvalidArgument:
    """One InvalidArgument with a FieldViolation per error (warnings are left out)."""
    violations = [
        FieldViolation(field_of(problem), f"{problem.code}: {problem.message}")
        for problem in errors_of(problems)
    ]
    return InvalidArgument(message, violations)


def raise_for_errors(problems: Iterable[ValidationProblem]) -> None:
    """Raise `problems_to_error` when any problem is an error."""
    listed = list(problems)
    if errors_of(listed):
        raise problems_to_error(listed)


def _cut(identifier: str) -> str:
    return identifier if len(identifier) <= MAX_ID_LENGTH else identifier[:MAX_ID_LENGTH] + "…"
