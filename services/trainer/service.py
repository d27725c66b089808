"""Wiring of the trainer service: datasets, backtests, jobs, experiments and the model registry.

Each area wires itself (`<area>/wiring.py`); this module only lists them.
"""

from collections.abc import Sequence
from pathlib import Path

from services.mesh.server import Registration, Resources, ServiceDefinition
from services.trainer.backtests import wiring as backtests
from services.trainer.datasets import wiring as datasets
from services.trainer.experiments import wiring as experiments
from services.trainer.jobs import wiring as jobs
from services.trainer.registry import wiring as registry
from services.trainer.settings import TrainerSettings


async def build(resources: Resources) -> Sequence[Registration]:
    registrations: list[Registration] = []
    for area in (datasets, backtests, jobs, experiments, registry):
        registrations.extend(await area.registrations(resources))
    return registrations


DEFINITION = ServiceDefinition(
    name="trainer",
    settings_type=TrainerSettings,
    build=build,
    schema="trainer",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
