"""The embedded default: private PostgreSQL, Redis and Envoy processes managed from Python.

`make run` (through `python -m services.mesh.devstack`) and the test fixtures start the
same real servers the same way, so what the tests exercise is what a developer runs.
Each class owns one kind of process and leaves none behind when stopped.
"""

from services.mesh.devstack.envoy import EmbeddedEnvoy
from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.ports import free_port
from services.mesh.devstack.postgres import EmbeddedPostgres
from services.mesh.devstack.redis import EmbeddedRedis

__all__ = ["DevstackError", "EmbeddedEnvoy", "EmbeddedPostgres", "EmbeddedRedis", "free_port"]
