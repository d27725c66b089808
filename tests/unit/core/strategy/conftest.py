"""Fixtures of the strategy tests: the GOOG daily bars backtesting.py ships."""

from __future__ import annotations

import pytest
from backtesting.test import GOOG

from services.core.backtest import Bars


@pytest.fixture(scope="session")
def goog() -> Bars:
    return Bars.from_frame(GOOG)
