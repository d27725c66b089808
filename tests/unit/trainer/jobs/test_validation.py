import pytest

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.core import strategy
from services.core.errors import InvalidArgument, ResourceExhausted
from services.trainer.jobs.limits import DEFAULT_MAX_ATTEMPTS, limits_of
from services.trainer.jobs.validation import validate_job


def backtest_job(**fields) -> messages.Job:
    job = messages.Job(kind=messages.JOB_KIND_BACKTEST, **fields)
    job.config.backtest.spec.CopyFrom(strategy.compile_graph(strategy.get_template("sma_crossover").graph))
    job.config.backtest.dataset_id = "d1"
    return job


def violations(job: messages.Job, tier: str = "basic") -> set[str]:
    with pytest.raises(InvalidArgument) as raised:
        validate_job(job, limits_of(tier))
    return {violation.field for violation in raised.value.violations}


def test_defaults_come_from_the_tier():
    accepted = validate_job(backtest_job(), limits_of("pro"))
    assert accepted.timeout_seconds == limits_of("pro").default_timeout_seconds
    assert accepted.memory_limit_bytes == limits_of("pro").default_memory_bytes
    assert accepted.max_attempts == DEFAULT_MAX_ATTEMPTS


def test_an_unknown_tier_gets_the_basic_limits():
    assert limits_of("gold") == limits_of("basic")


def test_kind_and_config_must_agree():
    job = backtest_job()
    job.kind = messages.JOB_KIND_OPTIMIZATION
    assert violations(job) == {"job.config"}
    assert violations(messages.Job(kind=messages.JOB_KIND_TRAINING)) == {"job.config"}
    assert violations(messages.Job()) == {"job.kind"}


def test_limits_out_of_bounds_are_named_together():
    job = backtest_job(memory_limit_bytes=5, max_attempts=11)
    job.timeout.FromSeconds(10**6)
    assert violations(job) == {"job.timeout", "job.memory_limit_bytes", "job.max_attempts"}


def test_memory_above_the_plan_is_a_quota_not_a_bad_request():
    with pytest.raises(ResourceExhausted):
        validate_job(backtest_job(memory_limit_bytes=1 << 40), limits_of("basic"))


def test_the_kind_validator_checks_the_config():
    job = backtest_job()
    job.config.backtest.dataset_id = ""
    job.config.backtest.ClearField("spec")
    assert violations(job) == {"job.config.backtest.dataset_id", "job.config.backtest.spec"}


def test_output_only_fields_sent_by_the_caller_are_dropped():
    job = backtest_job(owner_id="mallory", attempts=7, cpu_seconds=1.0)
    definition = validate_job(job, limits_of("basic")).definition
    assert definition.owner_id == ""
    assert definition.attempts == 0
    assert definition.cpu_seconds == 0
