"""A private PostgreSQL cluster: initdb into a directory, pg_ctl start/stop, one database per need.

PostgreSQL refuses to run as root, and CI runs as root: there the server programs run
as the unprivileged `postgres` user, which must own the data directory and be able to
reach it. Clients always connect over TCP on 127.0.0.1 with trust authentication, so
nothing here needs a password or the user's own account.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.logs import describe_failure
from services.mesh.devstack.managed import ManagedServer
from services.mesh.devstack.ports import free_port
from services.mesh.devstack.processes import is_alive
from services.mesh.devstack.system import ensure_installed, is_root

SUPERUSER = "postgres"
SERVER_ACCOUNT = "postgres"
START_TIMEOUT_SECONDS = 60
SETTINGS_FILE = "alphintra.conf"
# sun_path holds 108 bytes; PostgreSQL names its socket ".s.PGSQL.<port>" inside the directory
MAX_SOCKET_PATH = 107
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: pg_config's answer, else the newest Debian one."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        result = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major_version, reverse=True)
    candidates.extend(Path(path) for path in debian)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    return next((path for path in candidates if _has_server_programs(path)), None)


def _major_version(bindir: str) -> int:
    version = Path(bindir).parent.name
    return int(version) if version.isdigit() else 0


def _has_server_programs(bindir: Path) -> bool:
    return all((bindir / program).is_file() for program in ("initdb", "pg_ctl", "postgres", "psql"))


class EmbeddedPostgres(ManagedServer):
    """One PostgreSQL cluster in `data_dir`, listening on 127.0.0.1 only.

    `fsync=False` trades crash safety for speed; test fixtures use it, `make run` does not.
    """

    def __init__(self, data_dir: Path, port: int | None = None, fsync: bool = True) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.fsync = fsync
        self._requested_port = port
        self._port: int | None = None
        self._bindir: Path | None = None

    # -- addresses -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise DevstackError("PostgreSQL has not been started: call start() first")
        return self._port

    @property
    def url(self) -> str:
        """The URL of the `postgres` maintenance database, as the superuser."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while the cluster runs, else None."""
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except (FileNotFoundError, PermissionError):
            return None
        return int(first_line) if first_line.strip().isdigit() else None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Initialise the cluster if needed, then start it and wait until it accepts connections."""
        self._bindir = ensure_installed(find_bindir, package="postgresql", what="PostgreSQL (initdb, pg_ctl)")
        self._port = self._requested_port or free_port()
        self._prepare_data_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._stop_leftover_server()
        self._write_settings()
        started = self._run_as_server(
            self._program("pg_ctl"),
            "start",
            "--wait",
            f"--timeout={START_TIMEOUT_SECONDS}",
            f"--pgdata={self.data_dir}",
            f"--log={self.log_path}",
        )
        if started.returncode != 0:
            raise DevstackError(
                describe_failure(
                    f"PostgreSQL did not start on 127.0.0.1:{self._port} (data in {self.data_dir}):\n"
                    f"{started.stdout.strip()}",
                    self.log_path,
                )
            )

    def stop(self) -> None:
        """Fast shutdown (roll back open transactions) and wait until the postmaster has exited."""
        pid = self.pid
        if pid is None or self._bindir is None:
            return
        stopped = self._run_as_server(
            self._program("pg_ctl"), "stop", "--wait", "--mode=fast", f"--pgdata={self.data_dir}"
        )
        if stopped.returncode != 0 and is_alive(pid):
            raise DevstackError(
                describe_failure(
                    f"PostgreSQL (pid {pid}) did not stop:\n{stopped.stdout.strip()}", self.log_path
                )
            )

    # -- databases -----------------------------------------------------------------------

    def create_database(self, name: str) -> str:
        """Create database `name` unless it exists; return its URL."""
        _check_database_name(name)
        # the name was checked against DATABASE_NAME: nothing in it can break out of the quotes
        self._psql(
            f"SELECT 'CREATE DATABASE {name}' WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT FROM pg_database WHERE datname = '{name}')\\gexec\n"
        )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists, closing the connections a test may have left open."""
        _check_database_name(name)
        self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);\n")

    # -- internals -----------------------------------------------------------------------

    def _program(self, name: str) -> str:
        assert self._bindir is not None, "start() finds the binaries first"
        return str(self._bindir / name)

    def _psql(self, script: str) -> None:
        result = subprocess.run(
            [
                *(self._program("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"),
                *("--host=127.0.0.1", f"--port={self.port}", f"--username={SUPERUSER}", "--dbname=postgres"),
                "--file=-",
            ],
            input=script,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise DevstackError(f"psql failed on {script.strip()!r}: {result.stderr.strip()}")

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if is_root():
            account = _server_account()
            if self.data_dir.stat().st_uid != account.pw_uid:
                os.chown(self.data_dir, account.pw_uid, account.pw_gid)
            _ensure_traversable(self.data_dir)
        os.chmod(self.data_dir, 0o700)

    def _initdb(self) -> None:
        result = self._run_as_server(
            self._program("initdb"),
            f"--pgdata={self.data_dir}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        )
        if result.returncode != 0:
            raise DevstackError(f"initdb failed for {self.data_dir}:\n{result.stdout.strip()}")
        with (self.data_dir / "postgresql.conf").open("a") as configuration:
            configuration.write(
                "\n# settings the Alphintra devstack rewrites on every start\n"
                f"include_if_exists = '{SETTINGS_FILE}'\n"
            )

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": _quote(str(self.data_dir)) if self._socket_fits() else "''",
            "max_connections": "200",
            "fsync": "on" if self.fsync else "off",
            "synchronous_commit": "on" if self.fsync else "off",
            "full_page_writes": "on" if self.fsync else "off",
        }
        path = self.data_dir / SETTINGS_FILE
        path.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
        if is_root():
            account = _server_account()
            os.chown(path, account.pw_uid, account.pw_gid)

    def _socket_fits(self) -> bool:
        # Without a socket, clients still connect over TCP, which is all the mesh uses.
        return len(str(self.data_dir / f".s.PGSQL.{self.port}")) <= MAX_SOCKET_PATH

    def _stop_leftover_server(self) -> None:
        """A server a killed supervisor left on this data directory would block the start: stop it."""
        pid = self.pid
        if pid is not None and is_alive(pid) and _is_postgres(pid):
            print(
                f"note: stopping the PostgreSQL (pid {pid}) left running on {self.data_dir}", file=sys.stderr
            )
            self.stop()

    def _run_as_server(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", SERVER_ACCOUNT, "--"] if is_root() else []
        return subprocess.run(
            [*prefix, *command],
            cwd=self.data_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )


def _server_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        raise DevstackError(
            f"as root, PostgreSQL must run as the unprivileged user {SERVER_ACCOUNT!r}, which does not"
            " exist: `apt-get install -y postgresql` creates it"
        ) from None


def _is_postgres(pid: int) -> bool:
    """Whether `pid` is a PostgreSQL server and not another process that got a stale file's id."""
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _ensure_traversable(path: Path) -> None:
    """Let the server account walk down to `path`: add only the search bit (o+x), never read."""
    for directory in reversed(path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)
            print(f"note: made {directory} traversable (o+x) so PostgreSQL can reach {path}", file=sys.stderr)


def _check_database_name(name: str) -> None:
    if not DATABASE_NAME.match(name):
        raise ValueError(f"database name {name!r} must match {DATABASE_NAME.pattern} (it is not quoted)")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
