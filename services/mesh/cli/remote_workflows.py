"""`alphintra login|whoami`, `alphintra workflows ...` and `alphintra jobs ...` against a running mesh."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Iterator
from pathlib import Path

import grpc
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from alphintra.strategy.v1 import backtest_pb2
from alphintra.trainer.v1 import training_service_pb2 as jobs
from alphintra.trainer.v1 import training_service_pb2_grpc as jobs_grpc
from alphintra.workflow.v1 import execution_pb2, workflow_pb2
from alphintra.workflow.v1 import workflow_service_pb2 as workflows
from alphintra.workflow.v1 import workflow_service_pb2_grpc as workflows_grpc
from services.mesh.cli.connection import Session
from services.mesh.cli.output import print_problems
from services.mesh.cli.remote import command, paging_arguments, read_message, request_id
from services.mesh.cli.remote_output import (
    EXIT_OTHER,
    EXIT_REFUSED,
    field,
    print_fields,
    print_json,
    show,
    stdout,
)

WORKFLOW_COLUMNS = [
    ("id", field("id")),
    ("name", field("display_name")),
    ("version", field("version")),
    ("updated", field("update_time")),
]
JOB_COLUMNS = [
    ("id", field("id")),
    ("kind", field("kind")),
    ("state", field("state")),
    ("progress", lambda job: f"{job.progress_fraction:.0%}"),
    ("attempts", field("attempts")),
    ("cpu s", field("cpu_seconds")),
    ("created", field("create_time")),
]


# -- signing in -------------------------------------------------------------------------


def _login(session: Session, arguments: argparse.Namespace) -> int:
    email = arguments.email or input("email: ")
    password = os.environ.get("ALPHINTRA_PASSWORD") or getpass.getpass("password: ")
    reply = session.login(email, password)
    path = session.profile.save()
    stdout.print(f"signed in as {reply.user.email} ({auth_pb2.Role.Name(reply.user.role)}); profile {path}")
    return 0


def _whoami(session: Session, arguments: argparse.Namespace) -> int:
    reply = session.call(session.stub(auth_pb2_grpc.AuthServiceStub).WhoAmI, auth_pb2.WhoAmIRequest())
    if arguments.json:
        print_json(reply)
    else:
        print_fields(reply.user, "you")
    return 0


# -- workflows --------------------------------------------------------------------------


def _stub(session: Session) -> workflows_grpc.WorkflowServiceStub:
    return session.stub(workflows_grpc.WorkflowServiceStub)


def _create(session: Session, arguments: argparse.Namespace) -> int:
    workflow = read_message(arguments.file, workflow_pb2.Workflow)
    if arguments.name:
        workflow.display_name = arguments.name
    request = workflows.CreateWorkflowRequest(workflow=workflow, request_id=request_id())
    created = session.call(_stub(session).CreateWorkflow, request).workflow
    show(created, as_json=arguments.json, columns=WORKFLOW_COLUMNS, title="created")
    return 0


def _list(session: Session, arguments: argparse.Namespace) -> int:
    request = workflows.ListWorkflowsRequest(
        page_size=arguments.page_size, page_token=arguments.page_token, query=arguments.query
    )
    reply = session.call(_stub(session).ListWorkflows, request)
    show(list(reply.workflows), as_json=arguments.json, columns=WORKFLOW_COLUMNS,
         next_page_token=reply.next_page_token)  # fmt: skip
    return 0


def _validate(session: Session, arguments: argparse.Namespace) -> int:
    request = workflows.ValidateWorkflowRequest(workflow_id=arguments.workflow_id, version=arguments.version)
    reply = session.call(_stub(session).ValidateWorkflow, request)
    if arguments.json:
        print_json(reply)
    else:
        print_problems(list(reply.problems))
    return 0 if reply.valid else EXIT_REFUSED


def _compile(session: Session, arguments: argparse.Namespace) -> int:
    request = workflows.CompileWorkflowRequest(workflow_id=arguments.workflow_id, version=arguments.version)
    reply = session.call(_stub(session).CompileWorkflow, request)
    if arguments.code:
        Path(arguments.code).write_text(reply.python_code, encoding="utf-8")
        stdout.print(f"generated code written to {arguments.code}")
    if arguments.json or not arguments.code:
        print_json(reply.spec)
    if reply.warnings:
        print_problems(list(reply.warnings))
    return 0


def _execute(session: Session, arguments: argparse.Namespace) -> int:
    request = workflows.ExecuteWorkflowRequest(
        workflow_id=arguments.workflow_id,
        workflow_version=arguments.version,
        mode=execution_pb2.EXECUTION_MODE_MODEL
        if arguments.model_config
        else execution_pb2.EXECUTION_MODE_STRATEGY,
        request_id=request_id(),
    )
    if arguments.dataset:
        request.dataset_id = arguments.dataset
    if arguments.backtest_config:
        request.backtest_config.CopyFrom(read_message(arguments.backtest_config, backtest_pb2.BacktestConfig))
    if arguments.model_config:
        request.model_config.CopyFrom(read_message(arguments.model_config, execution_pb2.ModelModeConfig))
    execution = session.call(_stub(session).ExecuteWorkflow, request, timeout=None).execution
    if execution.job_id and arguments.watch:
        code = watch_job(session, execution.job_id, as_json=arguments.json)
        execution = session.call(
            _stub(session).GetExecution,
            workflows.GetExecutionRequest(workflow_id=execution.workflow_id, execution_id=execution.id),
        ).execution
        if code:
            return code
    if arguments.json:
        print_json(execution)
    else:
        print_execution(execution)
    return 0


def print_execution(execution: execution_pb2.Execution) -> None:
    stdout.print(
        f"execution {execution.id}: {execution_pb2.ExecutionState.Name(execution.state)}"
        + (f", job {execution.job_id}" if execution.job_id else "")
    )
    which = execution.WhichOneof("result")
    if which == "backtest_result":
        print_fields(execution.backtest_result.metrics, "metrics")
    elif which is not None:
        print_fields(getattr(execution, which), which.removesuffix("_result"))


# -- jobs -------------------------------------------------------------------------------


def _jobs_stub(session: Session) -> jobs_grpc.TrainingServiceStub:
    return session.stub(jobs_grpc.TrainingServiceStub)


def _jobs_list(session: Session, arguments: argparse.Namespace) -> int:
    request = jobs.ListJobsRequest(page_size=arguments.page_size, page_token=arguments.page_token)
    reply = session.call(_jobs_stub(session).ListJobs, request)
    show(list(reply.jobs), as_json=arguments.json, columns=JOB_COLUMNS, next_page_token=reply.next_page_token)
    return 0


def _jobs_cancel(session: Session, arguments: argparse.Namespace) -> int:
    request = jobs.CancelJobRequest(job_id=arguments.job_id, reason=arguments.reason)
    job = session.call(_jobs_stub(session).CancelJob, request).job
    show(job, as_json=arguments.json, columns=JOB_COLUMNS)
    return 0


def _jobs_logs(session: Session, arguments: argparse.Namespace) -> int:
    request = jobs.ListJobLogsRequest(
        job_id=arguments.job_id, page_size=arguments.page_size, page_token=arguments.page_token
    )
    reply = session.call(_jobs_stub(session).ListJobLogs, request)
    if arguments.json:
        print_json(list(reply.events))
        return 0
    for event in reply.events:
        line = event.log_line
        stdout.print(f"{event.time.ToJsonString()} {jobs.LogLevel.Name(line.level)[10:]:<7} {line.message}",
                     markup=False)  # fmt: skip
    return 0


def job_events(session: Session, job_id: str) -> Iterator[jobs.JobEvent]:
    """The job's events from the start; reconnects after a dropped stream where it left off."""
    after = 0
    while True:
        stream = _jobs_stub(session).WatchJob(
            jobs.WatchJobRequest(job_id=job_id, from_sequence=after), metadata=session.metadata()
        )
        try:
            for reply in stream:
                after = reply.event.sequence + 1
                yield reply.event
            return
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.UNAVAILABLE:
                raise


class _JobView:
    """What a watcher shows of a job: a progress bar with ETA, its log lines, its per-trial metrics."""

    def __init__(self, progress: Progress, job_id: str, as_json: bool) -> None:
        self.progress = progress
        self.job_id = job_id
        self.as_json = as_json
        self.task = progress.add_task(f"job {job_id[:12]}", total=1.0)
        self.trials: dict[int, dict[str, float]] = {}
        self.state = jobs.JOB_STATE_UNSPECIFIED

    def show(self, event: jobs.JobEvent) -> None:
        if self.as_json:
            print_json(event)
        which = event.WhichOneof("event")
        if which == "progress":
            description = f"job {self.job_id[:12]} {event.progress.message}"
            self.progress.update(self.task, completed=event.progress.fraction, description=description)
        elif which == "log_line" and not self.as_json:
            self.progress.console.print(event.log_line.message, markup=False)
        elif which == "metric" and event.metric.HasField("trial"):
            self.trials.setdefault(event.metric.trial, {})[event.metric.name] = event.metric.value
        elif which == "state_change":
            self.state = event.state_change.state
            if not self.as_json:
                text = f"state: {jobs.JobState.Name(self.state)} {event.state_change.message}"
                self.progress.console.print(text, markup=False)
            if self.state == jobs.JOB_STATE_SUCCEEDED:
                self.progress.update(self.task, completed=1.0)


def watch_job(session: Session, job_id: str, *, as_json: bool = False) -> int:
    """Follow a job live until it ends; the exit code says how it ended."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=stdout, disable=as_json) as progress:
        view = _JobView(progress, job_id, as_json)
        for event in job_events(session, job_id):
            view.show(event)
    if view.trials and not as_json:
        _print_trials(view.trials)
    if view.state == jobs.JOB_STATE_SUCCEEDED:
        return 0
    return EXIT_REFUSED if view.state == jobs.JOB_STATE_FAILED else EXIT_OTHER


def _print_trials(trials: dict[int, dict[str, float]]) -> None:
    names = sorted({name for metrics in trials.values() for name in metrics})
    table = Table(title="trials", title_justify="left")
    table.add_column("trial", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for number in sorted(trials)[-50:]:
        table.add_row(str(number), *(f"{trials[number].get(name, float('nan')):.4g}" for name in names))
    stdout.print(table)


def _jobs_watch(session: Session, arguments: argparse.Namespace) -> int:
    return watch_job(session, arguments.job_id, as_json=arguments.json)


def register(commands: argparse._SubParsersAction) -> None:
    login = command(commands, "login", "sign in to a mesh and save the profile", _login, json_flag=False)
    login.add_argument("--email", help="your email (asked when missing); the password comes from "
                       "ALPHINTRA_PASSWORD or a prompt")  # fmt: skip
    command(commands, "whoami", "who the mesh thinks you are", _whoami)

    workflow_group = commands.add_parser("workflows", help="no-code workflows on the mesh").add_subparsers(
        dest="action", required=True
    )
    create = command(
        workflow_group, "create", "create a workflow from a JSON file (as in examples/)", _create
    )
    create.add_argument("file")
    create.add_argument("--name", help="display name (default: the file's)")
    listing = command(workflow_group, "list", "your workflows", _list)
    listing.add_argument("--query", default="", help="text to look for in names and descriptions")
    paging_arguments(listing)
    for name, handler, text in (
        ("validate", _validate, "every problem of a stored workflow"),
        ("compile", _compile, "the strategy spec (and code) of a stored workflow"),
    ):
        parser = command(workflow_group, name, text, handler)
        parser.add_argument("workflow_id")
        parser.add_argument("--version", type=int, default=0, help="a version (default: the latest)")
        if name == "compile":
            parser.add_argument("--code", help="write the generated Python to this file")
    execute = command(workflow_group, "execute", "backtest (STRATEGY) or optimise/train (MODEL) a workflow",
                      _execute)  # fmt: skip
    execute.add_argument("workflow_id")
    execute.add_argument("--version", type=int, default=0)
    execute.add_argument("--dataset", help="dataset id (default: the one chosen in the graph)")
    execute.add_argument("--backtest-config", help="JSON file of alphintra.strategy.v1.BacktestConfig")
    execute.add_argument("--model-config", help="JSON file of a ModelModeConfig: runs MODEL mode")
    execute.add_argument("--no-watch", dest="watch", action="store_false", help="do not follow the MODEL job")

    job_group = commands.add_parser("jobs", help="trainer jobs").add_subparsers(dest="action", required=True)
    paging_arguments(command(job_group, "list", "your jobs", _jobs_list))
    command(job_group, "watch", "follow a job live", _jobs_watch).add_argument("job_id")
    cancel = command(job_group, "cancel", "cancel a job (it stops within a second)", _jobs_cancel)
    cancel.add_argument("job_id")
    cancel.add_argument("--reason", default="cancelled from the CLI")
    logs = command(job_group, "logs", "a job's log lines", _jobs_logs)
    logs.add_argument("job_id")
    paging_arguments(logs)
