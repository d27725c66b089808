"""`python -m services.signal_bus`: like every service (`services.mesh.main`), except that the bus's
own tasks stop between the gRPC server and the shared pools (see `service.stop_service`)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import uvloop

from services.mesh.database import MigrationError
from services.mesh.logs import setup_logging
from services.mesh.main import EXIT_CONFIG, EXIT_DEPENDENCY
from services.mesh.server import start_service
from services.mesh.settings import ServiceSettings, SettingsError
from services.mesh.tracing import setup_tracing
from services.signal_bus.service import DEFINITION, stop_service

log = logging.getLogger("alphintra.server")


async def serve(settings: ServiceSettings) -> None:
    provider = setup_tracing(DEFINITION.name, settings.tracing)
    tracer = provider.get_tracer("alphintra.mesh") if provider is not None else None
    running = await start_service(DEFINITION, settings, tracer=tracer)
    log.info("%s serving on %s:%d", DEFINITION.name, settings.host, running.port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("%s stopping (grace %.1fs)", DEFINITION.name, settings.grace_period_seconds)
    await stop_service(running)
    if provider is not None:
        provider.shutdown()
    log.info("%s stopped", DEFINITION.name)


def main() -> None:
    try:
        settings = DEFINITION.settings_type.load()
    except SettingsError as error:
        print(f"{DEFINITION.name}: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    setup_logging(DEFINITION.name, settings.log_level)
    try:
        uvloop.run(serve(settings))
    except (ConnectionError, MigrationError) as error:
        log.error("%s cannot start: %s", DEFINITION.name, error)
        sys.exit(EXIT_DEPENDENCY)


main()
