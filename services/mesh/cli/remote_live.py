"""`alphintra models|deployments|signals|webhooks|paper ...`: from a registered model to a paper P&L."""

from __future__ import annotations

import argparse
import json

import grpc

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as deployments
from alphintra.predictor.v1 import deployment_service_pb2_grpc as deployments_grpc
from alphintra.signalbus.v1 import paper_trading_service_pb2 as paper
from alphintra.signalbus.v1 import paper_trading_service_pb2_grpc as paper_grpc
from alphintra.signalbus.v1 import signal_bus_service_pb2 as bus
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc as bus_grpc
from alphintra.signalbus.v1 import signal_pb2
from alphintra.signalbus.v1 import webhook_service_pb2 as webhooks
from alphintra.signalbus.v1 import webhook_service_pb2_grpc as webhooks_grpc
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import model_registry_service_pb2_grpc as registry_grpc
from services.mesh.cli.connection import Session
from services.mesh.cli.remote import command, enum_value, paging_arguments, read_message, request_id
from services.mesh.cli.remote_output import field, print_fields, print_json, show, stderr, stdout, to_dict

MODEL_COLUMNS = [
    ("model", field("model_name")),
    ("latest", field("latest_version")),
    (
        "aliases",
        lambda model: ", ".join(f"{alias}={version}" for alias, version in sorted(model.aliases.items())),
    ),
    ("updated", field("update_time")),
]
VERSION_COLUMNS = [
    ("version", field("version")),
    ("metrics", lambda version: ", ".join(f"{k}={v:.4g}" for k, v in sorted(version.metrics.items()))),
    ("created", field("create_time")),
]
DEPLOYMENT_COLUMNS = [
    ("id", field("id")),
    ("name", field("display_name")),
    ("state", field("state")),
    ("symbols", field("symbols")),
    ("timeframe", field("timeframe")),
]
SIGNAL_COLUMNS = [
    ("time", field("timestamp")),
    ("strategy", field("strategy_id")),
    ("symbol", field("symbol")),
    ("action", field("action")),
    ("confidence", field("confidence")),
    ("price", field("price_target")),
]
ACCOUNT_COLUMNS = [
    ("id", field("id")),
    ("name", field("display_name")),
    ("cash", field("cash")),
    ("equity", field("equity")),
    ("strategies", field("strategy_ids")),
    ("resets", field("reset_count")),
]


# -- models -----------------------------------------------------------------------------


def _registry(session: Session) -> registry_grpc.ModelRegistryServiceStub:
    return session.stub(registry_grpc.ModelRegistryServiceStub)


def _models(session: Session, arguments: argparse.Namespace) -> int:
    request = registry.ListModelsRequest(page_size=arguments.page_size, page_token=arguments.page_token)
    reply = session.call(_registry(session).ListModels, request)
    show(
        list(reply.models),
        as_json=arguments.json,
        columns=MODEL_COLUMNS,
        next_page_token=reply.next_page_token,
    )
    return 0


def _versions(session: Session, arguments: argparse.Namespace) -> int:
    request = registry.ListModelVersionsRequest(
        model_name=arguments.model, page_size=arguments.page_size, page_token=arguments.page_token
    )
    reply = session.call(_registry(session).ListModelVersions, request)
    show(list(reply.model_versions), as_json=arguments.json, columns=VERSION_COLUMNS,
         title=arguments.model, next_page_token=reply.next_page_token)  # fmt: skip
    return 0


def _promote(session: Session, arguments: argparse.Namespace) -> int:
    request = registry.SetModelAliasRequest(
        model_name=arguments.model, alias=arguments.alias, version=arguments.version, reason=arguments.reason
    )
    reply = session.call(_registry(session).SetModelAlias, request)
    if arguments.json:
        print_json(reply)
    else:
        stdout.print(f"{arguments.model}@{arguments.alias} -> version {arguments.version}")
    return 0


def _rollback(session: Session, arguments: argparse.Namespace) -> int:
    request = registry.RollbackModelAliasRequest(
        model_name=arguments.model, alias=arguments.alias, reason=arguments.reason
    )
    reply = session.call(_registry(session).RollbackModelAlias, request)
    if arguments.json:
        print_json(reply)
    else:
        print_fields(reply, f"{arguments.model}@{arguments.alias} rolled back")
    return 0


# -- deployments ------------------------------------------------------------------------


def _deployments(session: Session) -> deployments_grpc.DeploymentServiceStub:
    return session.stub(deployments_grpc.DeploymentServiceStub)


def _start(session: Session, arguments: argparse.Namespace) -> int:
    if arguments.file:
        deployment = read_message(arguments.file, deployments.Deployment)
    else:
        name, _, alias = arguments.model.partition("@")
        deployment = deployments.Deployment(
            display_name=arguments.name or arguments.model,
            symbols=arguments.symbols,
            timeframe=enum_value(bar_pb2.Timeframe, "TIMEFRAME_", arguments.timeframe),
        )
        deployment.model.model_name = name
        if alias.isdigit():
            deployment.model.version = int(alias)
        else:
            deployment.model.alias = alias or "production"
    request = deployments.CreateDeploymentRequest(deployment=deployment, request_id=request_id())
    created = session.call(_deployments(session).CreateDeployment, request).deployment
    show(created, as_json=arguments.json, columns=DEPLOYMENT_COLUMNS, title="deployed")
    return 0


def _stop(session: Session, arguments: argparse.Namespace) -> int:
    request = deployments.StopDeploymentRequest(
        deployment_id=arguments.deployment_id, reason=arguments.reason
    )
    stopped = session.call(_deployments(session).StopDeployment, request).deployment
    show(stopped, as_json=arguments.json, columns=DEPLOYMENT_COLUMNS)
    return 0


def _list_deployments(session: Session, arguments: argparse.Namespace) -> int:
    request = deployments.ListDeploymentsRequest(
        page_size=arguments.page_size, page_token=arguments.page_token
    )
    reply = session.call(_deployments(session).ListDeployments, request)
    show(list(reply.deployments), as_json=arguments.json, columns=DEPLOYMENT_COLUMNS,
         next_page_token=reply.next_page_token)  # fmt: skip
    return 0


# -- signals and webhooks ---------------------------------------------------------------


def _filter(arguments: argparse.Namespace) -> signal_pb2.SignalFilter:
    return signal_pb2.SignalFilter(
        symbols=arguments.symbol or [],
        strategy_ids=arguments.strategy or [],
        actions=[enum_value(signal_pb2.Action, "ACTION_", action) for action in arguments.action or []],
        min_confidence=arguments.min_confidence,
    )


def _tail(session: Session, arguments: argparse.Namespace) -> int:
    """Signals as they are published; prints the offset to resume from when stopped."""
    request = bus.SubscribeRequest(filter=_filter(arguments))
    if arguments.from_offset:
        request.from_offset = arguments.from_offset
    else:
        request.from_now = True
    resume = arguments.from_offset
    shown = 0
    stream = session.stub(bus_grpc.SignalBusServiceStub).Subscribe(request, metadata=session.metadata())
    try:
        for batch in stream:
            for record in batch.signals:
                shown += 1
                resume = record.offset
                if arguments.json:  # one JSON object per line, as it arrives (`jq -c`, a line reader)
                    print(json.dumps({"offset": record.offset, "signal": to_dict(record.signal)}), flush=True)
                else:
                    row = "  ".join(str(read(record.signal)) for _, read in SIGNAL_COLUMNS)
                    stdout.print(f"{record.offset:<22} {row}", markup=False)
                if arguments.limit and shown >= arguments.limit:
                    break
            else:  # the whole batch shown: resume after it (past the signals the filter skipped too)
                resume = batch.resume_offset or resume
                continue
            # stopped inside a batch at --limit: resume right after the last signal shown
            stream.cancel()
            break
    except grpc.RpcError as error:
        if error.code() is not grpc.StatusCode.CANCELLED:
            raise
    except KeyboardInterrupt:
        stream.cancel()
    if resume:  # on stderr under --json, so that standard output stays JSON lines
        (stderr if arguments.json else stdout).print(f"resume with --from-offset {resume}", style="dim")
    return 0


def _webhook_create(session: Session, arguments: argparse.Namespace) -> int:
    webhook = webhooks.Webhook(url=arguments.url, display_name=arguments.name or arguments.url, enabled=True)
    webhook.filter.CopyFrom(_filter(arguments))
    reply = session.call(
        session.stub(webhooks_grpc.WebhookServiceStub).CreateWebhook,
        webhooks.CreateWebhookRequest(webhook=webhook, request_id=request_id()),
    )
    if arguments.json:
        print_json(reply)
        return 0
    print_fields(reply.webhook, "webhook")
    stdout.print(f"signing secret (shown once, keep it): {reply.signing_secret}", markup=False)
    return 0


def _webhook_list(session: Session, arguments: argparse.Namespace) -> int:
    request = webhooks.ListWebhooksRequest(page_size=arguments.page_size, page_token=arguments.page_token)
    reply = session.call(session.stub(webhooks_grpc.WebhookServiceStub).ListWebhooks, request)
    columns = [("id", field("id")), ("url", field("url")), ("enabled", field("enabled"))]
    show(list(reply.webhooks), as_json=arguments.json, columns=columns, next_page_token=reply.next_page_token)
    return 0


def _webhook_deliveries(session: Session, arguments: argparse.Namespace) -> int:
    request = webhooks.ListWebhookDeliveriesRequest(
        webhook_id=arguments.webhook_id, page_size=arguments.page_size, page_token=arguments.page_token
    )
    reply = session.call(session.stub(webhooks_grpc.WebhookServiceStub).ListWebhookDeliveries, request)
    columns = [
        ("id", field("id")),
        ("signal", field("signal_id")),
        ("state", field("state")),
        ("attempts", field("attempts")),
        ("status", field("last_status_code")),
    ]
    show(
        list(reply.deliveries), as_json=arguments.json, columns=columns, next_page_token=reply.next_page_token
    )
    return 0


# -- paper accounts ---------------------------------------------------------------------


def _paper(session: Session) -> paper_grpc.PaperTradingServiceStub:
    return session.stub(paper_grpc.PaperTradingServiceStub)


def _paper_create(session: Session, arguments: argparse.Namespace) -> int:
    account = paper.PaperAccount(
        display_name=arguments.name,
        initial_cash=arguments.cash,
        strategy_ids=arguments.strategy or [],
        deployment_ids=arguments.deployment or [],
        commission_fraction=arguments.commission,
        slippage_fraction=arguments.slippage,
        allow_short=arguments.allow_short,
    )
    request = paper.CreateAccountRequest(account=account, request_id=request_id())
    created = session.call(_paper(session).CreateAccount, request).account
    show(created, as_json=arguments.json, columns=ACCOUNT_COLUMNS, title="paper account")
    return 0


def _paper_list(session: Session, arguments: argparse.Namespace) -> int:
    request = paper.ListAccountsRequest(page_size=arguments.page_size, page_token=arguments.page_token)
    reply = session.call(_paper(session).ListAccounts, request)
    show(list(reply.accounts), as_json=arguments.json, columns=ACCOUNT_COLUMNS,
         next_page_token=reply.next_page_token)  # fmt: skip
    return 0


def _paper_show(session: Session, arguments: argparse.Namespace) -> int:
    """The account, its positions, its latest trades and its performance."""
    stub = _paper(session)
    account_id = arguments.account_id
    account = session.call(stub.GetAccount, paper.GetAccountRequest(account_id=account_id)).account
    positions = session.call(stub.ListPositions, paper.ListPositionsRequest(account_id=account_id)).positions
    trades = session.call(
        stub.ListTrades, paper.ListTradesRequest(account_id=account_id, page_size=20)
    ).trades
    performance = session.call(
        stub.GetPerformance, paper.GetPerformanceRequest(account_id=account_id, max_equity_points=2)
    )
    if arguments.json:
        print_json({
            "account": to_dict(account),
            "positions": [to_dict(position) for position in positions],
            "trades": [to_dict(trade) for trade in trades],
            "metrics": to_dict(performance.metrics),
        })  # fmt: skip
        return 0
    show(account, as_json=False, columns=ACCOUNT_COLUMNS, title="account")
    position_columns = [
        ("symbol", field("symbol")),
        ("quantity", field("quantity")),
        ("avg price", field("average_price")),
        ("price", field("market_price")),
        ("unrealised", field("unrealized_pnl")),
        ("realised", field("realized_pnl")),
    ]
    show(list(positions), as_json=False, columns=position_columns, title="positions")
    trade_columns = [
        ("symbol", field("symbol")),
        ("side", field("side")),
        ("quantity", field("quantity")),
        ("price", field("price")),
        ("commission", field("commission")),
    ]
    show(list(trades), as_json=False, columns=trade_columns, title="latest trades")
    profit = account.equity - account.initial_cash
    stdout.print(f"P&L {profit:+,.2f} on {account.initial_cash:,.2f} ({profit / account.initial_cash:+.2%})")
    return 0


def _signal_filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--symbol", action="append", help="only these symbols (repeatable)")
    parser.add_argument("--strategy", action="append", help="only these strategy ids (repeatable)")
    parser.add_argument("--action", action="append", help="only these actions: buy, sell, close, hold")
    parser.add_argument("--min-confidence", type=float, default=0.0)


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("models", help="the model registry").add_subparsers(
        dest="action", required=True
    )
    paging_arguments(command(group, "list", "your models and their aliases", _models))
    versions = command(group, "versions", "a model's versions", _versions)
    versions.add_argument("model")
    paging_arguments(versions)
    promote = command(group, "promote", "point an alias (default production) at a version", _promote)
    promote.add_argument("model")
    promote.add_argument("version", type=int)
    promote.add_argument("--alias", default="production")
    promote.add_argument("--reason", default="promoted from the CLI")
    rollback = command(group, "rollback", "move an alias back to its previous version", _rollback)
    rollback.add_argument("model")
    rollback.add_argument("--alias", default="production")
    rollback.add_argument("--reason", default="rolled back from the CLI")

    group = commands.add_parser("deployments", help="live deployments").add_subparsers(
        dest="action", required=True
    )
    start = command(group, "start", "deploy a model (name@alias or name@version) on bar topics", _start)
    start.add_argument("--model", default="", help="e.g. rsi-model@production")
    start.add_argument("--symbols", nargs="+", default=[])
    start.add_argument("--timeframe", default="1_day")
    start.add_argument("--name")
    start.add_argument("--file", help="or a JSON file of alphintra.predictor.v1.Deployment")
    stop = command(group, "stop", "stop a deployment", _stop)
    stop.add_argument("deployment_id")
    stop.add_argument("--reason", default="stopped from the CLI")
    paging_arguments(command(group, "list", "your deployments", _list_deployments))

    group = commands.add_parser("signals", help="the signal bus").add_subparsers(dest="action", required=True)
    tail = command(group, "tail", "print signals as they are published", _tail)
    _signal_filter_arguments(tail)
    tail.add_argument("--from-offset", default="", help="resume after this offset (printed on exit)")
    tail.add_argument("--limit", type=int, default=0, help="stop after this many signals")

    group = commands.add_parser("webhooks", help="signal webhooks").add_subparsers(
        dest="action", required=True
    )
    create = command(group, "create", "POST matching signals to a URL (HMAC-signed)", _webhook_create)
    create.add_argument("url")
    create.add_argument("--name")
    _signal_filter_arguments(create)
    paging_arguments(command(group, "list", "your webhooks", _webhook_list))
    deliveries = command(group, "deliveries", "a webhook's delivery log", _webhook_deliveries)
    deliveries.add_argument("webhook_id")
    paging_arguments(deliveries)

    group = commands.add_parser("paper", help="paper-trading accounts").add_subparsers(
        dest="action", required=True
    )
    create = command(group, "create", "a paper account that trades a strategy's signals", _paper_create)
    create.add_argument("--name", required=True)
    create.add_argument("--cash", type=float, default=100_000.0)
    create.add_argument("--strategy", action="append", help="strategy ids whose signals it takes")
    create.add_argument("--deployment", action="append", help="deployment ids whose signals it takes")
    create.add_argument("--commission", type=float, default=0.001)
    create.add_argument("--slippage", type=float, default=0.0005)
    create.add_argument("--allow-short", action="store_true")
    paging_arguments(command(group, "list", "your paper accounts", _paper_list))
    command(group, "show", "an account: positions, trades, P&L", _paper_show).add_argument("account_id")
