"""Which runner does each kind of job, and which checks its config passes when the job is created.

Both are dotted paths ("package.module:function"): runners are imported only in the job's own
process, validators in the service. A validator takes the config member (e.g. a
`BacktestJobConfig`) and the field path of that member in the request ("job.config.backtest") and
returns every `FieldViolation` it finds; a kind without one gets only the generic checks
(`services.trainer.jobs.validation`).
"""

from alphintra.trainer.v1 import training_service_pb2

RUNNERS: dict[int, str] = {
    training_service_pb2.JOB_KIND_BACKTEST: "services.trainer.backtests.runner:run_backtest_job",
    training_service_pb2.JOB_KIND_OPTIMIZATION: "services.trainer.modeling.optimization:run_optimization_job",
    training_service_pb2.JOB_KIND_TRAINING: "services.trainer.modeling.training:run_training_job",
    training_service_pb2.JOB_KIND_RETRAINING: "services.trainer.modeling.retraining:run_retraining_job",
}

VALIDATORS: dict[int, str] = {
    training_service_pb2.JOB_KIND_BACKTEST: "services.trainer.backtests.validation:backtest_job_violations",
}

# The JobConfig oneof member each kind runs on.
CONFIG_MEMBER: dict[int, str] = {
    training_service_pb2.JOB_KIND_BACKTEST: "backtest",
    training_service_pb2.JOB_KIND_OPTIMIZATION: "optimization",
    training_service_pb2.JOB_KIND_TRAINING: "training",
    training_service_pb2.JOB_KIND_RETRAINING: "retraining",
}
