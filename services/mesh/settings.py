"""Service settings: frozen, keyword-only, validated at start-up, secrets redacted.

Every service reads `ALPHINTRA_<SERVICE>__<KEY>` from its environment (for example
`ALPHINTRA_SIGNAL_BUS__PORT=50055`); nested groups use another `__`
(`ALPHINTRA_WORKFLOW__TRACING__EXPORTER=otlp`). `DATABASE_URL` and `REDIS_URL` are
shared by all services and may be overridden per service. Nothing here is read at
import time: `load_settings` is called from `main()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

# The environment `ServiceSettings.load` was given; os.environ when it was given none.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("alphintra_settings_environ", default=None)


class SettingsError(Exception):
    """Start-up configuration is wrong; the message names every bad variable."""


class TracingExporter(StrEnum):
    NONE = "none"
    CONSOLE = "console"
    FILE = "file"
    OTLP = "otlp"


class TracingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    exporter: TracingExporter = TracingExporter.NONE
    # OTLP/gRPC collector address, e.g. http://127.0.0.1:4317 (exporter=otlp)
    otlp_endpoint: str = "http://127.0.0.1:4317"
    # one JSON span per line (exporter=file)
    file_path: Path = Path(".run/traces.jsonl")
    sample_ratio: float = Field(1.0, ge=0.0, le=1.0)


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it and adds its own keys."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    # the service's name in environment variables, set by each subclass ("workflow")
    service_name: ClassVar[str] = "service"

    host: str = "127.0.0.1"
    # 0 binds a free port (tests); the chosen port is reported by create_server
    port: int = Field(0, ge=0, le=65535)
    # Prometheus /metrics over HTTP; -1 turns it off, 0 binds a free port
    metrics_port: int = Field(-1, ge=-1, le=65535)
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    # how long in-flight calls may run on after SIGTERM
    grace_period_seconds: float = Field(5.0, ge=0.0, le=300.0)
    log_level: str = Field("INFO", pattern=r"^(?i:debug|info|warning|error|critical)$")
    # how long start-up waits for PostgreSQL / Redis before giving up
    dependency_timeout_seconds: float = Field(30.0, ge=0.0, le=600.0)
    # how often health checks PostgreSQL / Redis (NOT_SERVING while one is down); 0 turns it off
    dependency_check_interval_seconds: float = Field(2.0, ge=0.0, le=300.0)
    max_message_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    tracing: TracingSettings = TracingSettings()

    @classmethod
    def env_prefix(cls) -> str:
        return f"ALPHINTRA_{cls.service_name.upper()}__"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The service's own variables win over the shared defaults passed to __init__
        # (DATABASE_URL, REDIS_URL), so one service can be pointed elsewhere.
        environ = _ENVIRON.get()
        if environ is not None and isinstance(env_settings, EnvSettingsSource):
            # settings are case-insensitive: the source matches lower-cased names
            env_settings.env_vars = {name.lower(): value for name, value in environ.items()}
        return (env_settings, init_settings)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read and validate the settings, or raise SettingsError naming each bad variable."""
        environ = dict(os.environ if environ is None else environ)
        prefix = cls.env_prefix()
        _reject_unknown_keys(cls, prefix, environ)
        shared = {
            key: environ[variable]
            for key, variable in (("database_url", "DATABASE_URL"), ("redis_url", "REDIS_URL"))
            if environ.get(variable)
        }
        token = _ENVIRON.set(environ)
        try:
            return cls(_env_prefix=prefix, **shared)
        except ValidationError as error:
            raise SettingsError(_describe(error, prefix)) from None
        finally:
            _ENVIRON.reset(token)


def _reject_unknown_keys(cls: type[ServiceSettings], prefix: str, environ: Mapping[str, str]) -> None:
    known = {name.upper() for name in cls.model_fields}
    unknown = sorted(
        variable
        for variable in environ
        if variable.upper().startswith(prefix) and variable[len(prefix) :].split("__")[0].upper() not in known
    )
    if unknown:
        choices = ", ".join(sorted(prefix + name for name in known))
        raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; known settings are: {choices}")


def _describe(error: ValidationError, prefix: str) -> str:
    lines = ["invalid settings:"]
    for problem in error.errors():
        path = "__".join(str(part) for part in problem["loc"]).upper()
        variable = prefix + path
        if path in {"DATABASE_URL", "REDIS_URL"}:
            variable = f"{path} (or {variable})"
        shown: Any = problem.get("input")
        value = "" if isinstance(shown, dict) or "URL" in path else f" = {shown!r}"
        lines.append(f"  {variable}{value}: {problem['msg']}")
    return "\n".join(lines)
