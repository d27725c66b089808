"""`python -m services.<name>`: settings -> wiring -> serve, with clear start-up errors."""

from __future__ import annotations

import logging
import sys

import uvloop

from services.mesh.database import MigrationError
from services.mesh.logs import setup_logging
from services.mesh.server import ServiceDefinition, serve
from services.mesh.settings import SettingsError

EXIT_CONFIG = 2
EXIT_DEPENDENCY = 3


def main(definition: ServiceDefinition) -> None:
    try:
        settings = definition.settings_type.load()
    except SettingsError as error:
        print(f"{definition.name}: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    setup_logging(definition.name, settings.log_level)
    try:
        uvloop.run(serve(definition, settings))
    except (ConnectionError, MigrationError) as error:
        logging.getLogger("alphintra.server").error("%s cannot start: %s", definition.name, error)
        sys.exit(EXIT_DEPENDENCY)
