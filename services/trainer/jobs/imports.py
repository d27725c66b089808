"""Resolve "package.module:function" paths (runners and validators are named, not imported, up front)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def import_callable(path: str) -> Callable[..., Any]:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{path!r} is not of the form package.module:function")
    found = getattr(importlib.import_module(module_name), attribute)
    if not callable(found):
        raise TypeError(f"{path} is not callable")
    return found
