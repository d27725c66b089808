"""The only ways a value from a spec or a user may enter generated code: a literal or a comment.

Generated code is built from the typed spec; the few strings that reach it (node ids, labels, a
title, a symbol) are emitted either as `repr()` literals, which Python reads back as exactly that
string and never as code, or inside `#` comments after `repr()` escaped every character that
could end the line (newlines, carriage returns, U+2028, NUL and every other non-printable one).
Names in the code are generated (`indicator_1`) or checked against a strict pattern.
"""

from __future__ import annotations

import ast
import keyword
import math
import re

from services.core.errors import Internal

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_COMMENT_TEXT = 80


def literal(value: bool | int | float | str) -> str:
    """Python source that evaluates to `value` (finite numbers only); checked by reading it back."""
    if isinstance(value, bool):
        text = "True" if value else "False"
    elif isinstance(value, int):
        text = str(int(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Internal("generated code cannot hold a non-finite number")
        text = repr(float(value))
    elif isinstance(value, str):
        text = repr(str(value))
    else:
        raise Internal(f"generated code cannot hold a {type(value).__name__}")
    if ast.literal_eval(text) != value or type(ast.literal_eval(text)) is not type(value):
        raise Internal("a literal did not read back as its value")
    return text


def comment(text: str) -> str:
    """Text safe inside a `#` comment: escaped like a literal (so nothing can end the line), cut short."""
    escaped = repr(str(text))[1:-1]
    if len(escaped) > MAX_COMMENT_TEXT:
        escaped = escaped[: MAX_COMMENT_TEXT - 1] + "…"
    if any(character in escaped for character in "\r\n\x0b\x0c\x00\u2028\u2029\x85"):
        raise Internal("a comment kept a line break")
    return escaped


def identifier(name: str) -> str:
    """A keyword-argument name from the registry, refused unless it is a plain lower-case identifier."""
    if not IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise Internal(f"not an identifier: {name[:40]!r}")
    return name
