from pathlib import Path

import pytest
from pydantic import SecretStr

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.trainer.jobs import events
from services.trainer.jobs.processes import parse_stat_cpu_seconds, sample
from services.trainer.jobs.retry import backoff_seconds
from services.trainer.jobs.supervisor import worker_environment
from services.trainer.settings import TrainerSettings


def test_backoff_doubles_up_to_its_ceiling():
    assert [backoff_seconds(attempt, 5, 30) for attempt in range(1, 6)] == [5, 10, 20, 30, 30]
    assert backoff_seconds(10_000, 1, 60) == 60
    with pytest.raises(ValueError, match="from 1"):
        backoff_seconds(0, 1, 60)


def test_eta_follows_the_rate_of_progress():
    assert events.eta_seconds(0.25, 10.0) == pytest.approx(30.0)
    assert events.eta_seconds(0.0, 10.0) is None
    assert events.eta_seconds(1.0, 10.0) is None


def test_only_final_state_changes_are_terminal():
    assert events.is_terminal(events.state_change("running", "failed", "x"))
    assert not events.is_terminal(events.state_change("running", "queued", "retry"))
    assert not events.is_terminal(events.log_line("x", messages.LOG_LEVEL_INFO, 1))


def test_unknown_log_levels_are_kept_as_info():
    assert events.log_level("WARNING") == messages.LOG_LEVEL_WARNING
    assert events.log_level("chatty") == messages.LOG_LEVEL_INFO


def test_stat_lines_with_odd_command_names_parse():
    line = "123 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 200 100 30 20 20 0 1 0 100 1000 50"
    ticks = 200 + 100 + 30 + 20
    assert parse_stat_cpu_seconds(line) == pytest.approx(ticks / __import__("os").sysconf("SC_CLK_TCK"))


def test_this_process_can_be_sampled_and_a_gone_one_cannot():
    mine = sample(__import__("os").getpid())
    assert mine is not None
    assert mine.resident_bytes > 0
    assert sample(2**22 + 12345) is None


def test_workers_inherit_the_services_settings():
    settings = TrainerSettings(
        database_url=SecretStr("postgresql://u:p@h/d"),
        redis_url=SecretStr("redis://h"),
        artifacts_root=Path("/data/artifacts"),
        extra_runners={1: "a.b:c"},
        job_lease_seconds=7,
        port=5555,
    )
    environment = worker_environment(settings, {"PATH": "/bin", "ALPHINTRA_TRAINER__PORT": "1"})
    assert environment["PATH"] == "/bin"
    assert environment["ALPHINTRA_TRAINER__DATABASE_URL"] == "postgresql://u:p@h/d"
    assert environment["ALPHINTRA_TRAINER__EXTRA_RUNNERS"] == '{"1": "a.b:c"}'
    assert "ALPHINTRA_TRAINER__PORT" not in environment
    assert TrainerSettings.load(environment).job_lease_seconds == 7
    assert TrainerSettings.load(environment).extra_runners == {1: "a.b:c"}
