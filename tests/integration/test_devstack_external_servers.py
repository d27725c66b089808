"""`make run` with DATABASE_URL and REDIS_URL set uses those servers and starts none of its own."""

import signal

import asyncpg
import pytest

from tests.integration.test_devstack import RunningMesh, child_pids, command_line, is_alive

pytestmark = pytest.mark.integration


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_the_mesh_uses_the_servers_it_is_given(tmp_path, database_url, redis_url):
    mesh = RunningMesh(tmp_path / "run")
    mesh.environment.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    try:
        endpoints = mesh.start()
        assert not (mesh.run_dir / "postgres").exists()
        assert not (mesh.run_dir / "redis").exists()
        children = child_pids(mesh.process.pid)
        commands = [command_line(pid) for pid in children]
        assert not any("postgres" in command or "redis-server" in command for command in commands)
        assert endpoints["services"]
        connection = await asyncpg.connect(database_url)
        try:
            migrated = await connection.fetchval("SELECT count(*) FROM workflow.schema_migrations")
        finally:
            await connection.close()
        assert migrated >= 1
        mesh.process.send_signal(signal.SIGINT)
        assert mesh.wait(90) == 0, mesh.output()
        assert [pid for pid in children if is_alive(pid)] == []
    finally:
        mesh.kill_everything()
