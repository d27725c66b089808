"""A service with one slow RPC, run as its own process by the graceful-shutdown test."""

import asyncio

from services.mesh.main import main
from services.mesh.server import ServiceDefinition
from tests.integration.runtime_helpers import ProbeSettings, probe_registration


async def sleep(request: bytes, _context) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return b"finished " + request


async def build(_resources):
    return [probe_registration({"Sleep": sleep})]


if __name__ == "__main__":
    main(ServiceDefinition(name="probe", settings_type=ProbeSettings, build=build))
