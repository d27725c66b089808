"""Which runner does each kind of job: dotted paths, imported in the job's own process."""

from alphintra.trainer.v1 import training_service_pb2

RUNNERS: dict[int, str] = {
    training_service_pb2.JOB_KIND_BACKTEST: "services.trainer.backtests.runner:run_backtest_job",
    training_service_pb2.JOB_KIND_OPTIMIZATION: "services.trainer.modeling.optimization:run_optimization_job",
    training_service_pb2.JOB_KIND_TRAINING: "services.trainer.modeling.training:run_training_job",
    training_service_pb2.JOB_KIND_RETRAINING: "services.trainer.modeling.retraining:run_retraining_job",
}
