"""Settings are validated at start-up and say which variable is wrong."""

from typing import ClassVar

import pytest

from services.mesh.settings import ServiceSettings, SettingsError, TracingExporter


class BusSettings(ServiceSettings):
    service_name: ClassVar[str] = "signal_bus"


def test_reads_prefixed_and_nested_variables():
    settings = BusSettings.load(
        {"ALPHINTRA_SIGNAL_BUS__PORT": "50055", "ALPHINTRA_SIGNAL_BUS__TRACING__EXPORTER": "file"}
    )
    assert settings.port == 50055
    assert settings.tracing.exporter is TracingExporter.FILE


def test_shared_urls_apply_and_a_service_variable_overrides_them():
    shared = BusSettings.load({"DATABASE_URL": "postgresql://a/x", "REDIS_URL": "redis://r:1/0"})
    assert shared.database_url is not None
    assert shared.database_url.get_secret_value() == "postgresql://a/x"
    own = BusSettings.load(
        {"DATABASE_URL": "postgresql://a/x", "ALPHINTRA_SIGNAL_BUS__DATABASE_URL": "postgresql://b/y"}
    )
    assert own.database_url is not None
    assert own.database_url.get_secret_value() == "postgresql://b/y"


def test_secrets_are_redacted_in_repr():
    settings = BusSettings.load({"DATABASE_URL": "postgresql://user:hunter2@db/x"})
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)


def test_a_bad_value_names_the_variable():
    with pytest.raises(SettingsError, match=r"ALPHINTRA_SIGNAL_BUS__PORT = 'eighty'") as raised:
        BusSettings.load({"ALPHINTRA_SIGNAL_BUS__PORT": "eighty"})
    assert "valid integer" in str(raised.value)


def test_an_out_of_range_nested_value_names_the_nested_variable():
    with pytest.raises(SettingsError, match=r"ALPHINTRA_SIGNAL_BUS__TRACING__SAMPLE_RATIO"):
        BusSettings.load({"ALPHINTRA_SIGNAL_BUS__TRACING__SAMPLE_RATIO": "1.5"})


def test_an_unknown_variable_is_refused_with_the_known_ones_listed():
    with pytest.raises(SettingsError, match=r"unknown setting\(s\) ALPHINTRA_SIGNAL_BUS__PROT") as raised:
        BusSettings.load({"ALPHINTRA_SIGNAL_BUS__PROT": "1"})
    assert "ALPHINTRA_SIGNAL_BUS__PORT" in str(raised.value)


def test_a_bad_url_never_echoes_its_value():
    with pytest.raises(SettingsError) as raised:
        BusSettings.load(
            {"ALPHINTRA_SIGNAL_BUS__GRACE_PERIOD_SECONDS": "-1", "DATABASE_URL": "postgresql://u:pw@h/d"}
        )
    assert "pw" not in str(raised.value)
    assert "ALPHINTRA_SIGNAL_BUS__GRACE_PERIOD_SECONDS" in str(raised.value)


def test_settings_are_frozen():
    settings = BusSettings.load({})
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
