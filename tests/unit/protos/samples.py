"""Representative messages that populate every field their types can reach (proven by the tests)."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from alphintra.common.v1 import bar_pb2, parameter_pb2
from alphintra.signalbus.v1 import signal_pb2
from alphintra.strategy.v1 import strategy_spec_pb2 as spec
from alphintra.workflow.v1 import workflow_pb2

NOVEMBER_2023 = Timestamp(seconds=1_700_000_000, nanos=250_000_000)


def integer(value: int) -> parameter_pb2.ParameterValue:
    return parameter_pb2.ParameterValue(integer=value)


def number(value: float) -> parameter_pb2.ParameterValue:
    return parameter_pb2.ParameterValue(number=value)


def signal() -> signal_pb2.Signal:
    return signal_pb2.Signal(
        signal_id="4f9c2e1a-7b7d-4a55-9d1e-2f7f0d3b9a10",
        timestamp=NOVEMBER_2023,
        strategy_id="deployments/dep-42",
        strategy_source=signal_pb2.STRATEGY_SOURCE_MODEL,
        symbol="BTC-USD",
        action=signal_pb2.ACTION_BUY,
        confidence=0.82,
        quantity=0.5,
        price_target=37_250.5,
        stop_loss=36_500.0,
        take_profit=39_000.0,
        risk_score=0.3,
        metadata={"model_version": "7", "rsi": "28.4"},
        execution_params=signal_pb2.ExecutionParams(
            order_type=signal_pb2.ORDER_TYPE_STOP_LIMIT,
            time_in_force=signal_pb2.TIME_IN_FORCE_GTC,
            max_slippage=0.001,
        ),
        owner_id="user-7",
    )


def workflow() -> workflow_pb2.Workflow:
    nodes = [
        workflow_pb2.Node(
            id="data_1",
            type="dataSource",
            label="BTC hourly",
            position=workflow_pb2.NodePosition(x=40.0, y=120.5),
            parameters={
                "symbol": parameter_pb2.ParameterValue(text="BTC-USD"),
                "adjusted": parameter_pb2.ParameterValue(flag=True),
            },
        ),
        workflow_pb2.Node(
            id="rsi_1",
            type="technicalIndicator",
            label="RSI",
            position=workflow_pb2.NodePosition(x=260.0, y=80.0),
            parameters={"indicator": parameter_pb2.ParameterValue(text="RSI"), "period": integer(14)},
            optimization_ranges={"period": parameter_pb2.ParameterRange(low=5, high=30, step=1)},
        ),
        workflow_pb2.Node(
            id="oversold_1",
            type="condition",
            label="RSI below threshold",
            position=workflow_pb2.NodePosition(x=480.0, y=80.0),
            parameters={"operator": parameter_pb2.ParameterValue(text="<"), "threshold": number(30.0)},
            optimization_ranges={
                "threshold": parameter_pb2.ParameterRange(low=10.0, high=40.0, log=True),
                "operator": parameter_pb2.ParameterRange(
                    choices=[parameter_pb2.ParameterValue(text="<"), parameter_pb2.ParameterValue(text="<=")]
                ),
            },
        ),
        workflow_pb2.Node(
            id="buy_1",
            type="action",
            label="Buy",
            parameters={"action": parameter_pb2.ParameterValue(text="BUY")},
        ),
    ]
    edges = [
        workflow_pb2.Edge(
            id="e1", source_node="data_1", source_port="close", target_node="rsi_1", target_port="source"
        ),
        workflow_pb2.Edge(
            id="e2", source_node="rsi_1", source_port="value", target_node="oversold_1", target_port="value"
        ),
        workflow_pb2.Edge(
            id="e3",
            source_node="oversold_1",
            source_port="result",
            target_node="buy_1",
            target_port="trigger",
        ),
    ]
    return workflow_pb2.Workflow(
        name="workflows/wf-1",
        id="wf-1",
        owner_id="user-7",
        display_name="RSI mean reversion",
        description="Buys when RSI(14) falls below 30.",
        version=3,
        graph=workflow_pb2.WorkflowGraph(nodes=nodes, edges=edges),
        create_time=NOVEMBER_2023,
        update_time=Timestamp(seconds=1_700_086_400, nanos=1),
        template_id="rsi-mean-reversion",
    )


def _series(node_id: str, port: str, offset_bars: int = 0) -> spec.Operand:
    return spec.Operand(series=spec.SeriesRef(node_id=node_id, port=port), offset_bars=offset_bars)


def _reference(node_id: str) -> spec.Condition:
    return spec.Condition(condition_node_id=node_id)


def _indicators() -> list[spec.IndicatorNode]:
    close = spec.Operand(price=spec.PRICE_FIELD_CLOSE)
    return [
        spec.IndicatorNode(
            node_id="sma_fast",
            indicator="SMA",
            parameters={"period": integer(10)},
            inputs={"source": close},
            outputs=["value"],
        ),
        spec.IndicatorNode(
            node_id="sma_slow",
            indicator="SMA",
            parameters={"period": integer(50)},
            inputs={"source": close},
            outputs=["value"],
        ),
        spec.IndicatorNode(
            node_id="rsi_1",
            indicator="RSI",
            parameters={"period": integer(14)},
            inputs={"source": close},
            outputs=["value"],
        ),
        spec.IndicatorNode(
            node_id="bbands_1",
            indicator="BBANDS",
            parameters={
                "period": integer(20),
                "deviations": number(2.0),
                "moving_average": parameter_pb2.ParameterValue(text="SMA"),
                "population": parameter_pb2.ParameterValue(flag=True),
            },
            inputs={"source": _series("sma_fast", "value", offset_bars=1)},
            outputs=["upper", "middle", "lower"],
        ),
    ]


def _conditions() -> list[spec.ConditionNode]:
    def comparison(
        operator: spec.ComparisonOperator, left: spec.Operand, right: spec.Operand
    ) -> spec.Condition:
        return spec.Condition(comparison=spec.Comparison(operator=operator, left=left, right=right))

    return [
        spec.ConditionNode(
            node_id="oversold",
            condition=comparison(
                spec.COMPARISON_OPERATOR_LESS_THAN, _series("rsi_1", "value"), spec.Operand(constant=30.0)
            ),
        ),
        spec.ConditionNode(
            node_id="golden_cross",
            condition=comparison(
                spec.COMPARISON_OPERATOR_CROSSES_ABOVE,
                _series("sma_fast", "value"),
                _series("sma_slow", "value"),
            ),
        ),
        spec.ConditionNode(
            node_id="in_band",
            condition=spec.Condition(
                between=spec.Between(
                    value=spec.Operand(price=spec.PRICE_FIELD_TYPICAL),
                    lower=_series("bbands_1", "lower"),
                    upper=_series("bbands_1", "upper"),
                    exclusive=True,
                )
            ),
        ),
        spec.ConditionNode(
            node_id="rsi_rising",
            condition=spec.Condition(
                trend=spec.Trend(
                    direction=spec.TREND_DIRECTION_RISING, value=_series("rsi_1", "value"), bars=3
                )
            ),
        ),
        spec.ConditionNode(
            node_id="entry",
            condition=spec.Condition(
                logic=spec.Logic(
                    operator=spec.LOGIC_OPERATOR_AND,
                    operands=[
                        _reference("oversold"),
                        spec.Condition(
                            logic=spec.Logic(
                                operator=spec.LOGIC_OPERATOR_OR,
                                operands=[_reference("golden_cross"), _reference("rsi_rising")],
                            )
                        ),
                    ],
                )
            ),
        ),
        spec.ConditionNode(
            node_id="exit",
            condition=spec.Condition(
                logic=spec.Logic(operator=spec.LOGIC_OPERATOR_NOT, operands=[_reference("in_band")])
            ),
        ),
    ]


def strategy_spec() -> spec.StrategySpec:
    rules = [
        spec.Rule(
            node_id="buy_1",
            condition_node_id="entry",
            action=spec.RULE_ACTION_BUY,
            sizing=spec.PositionSizing(
                risk_per_trade=spec.RiskPerTrade(risk_fraction=0.01, atr_period=14, atr_multiplier=2.0)
            ),
            priority=1,
        ),
        spec.Rule(
            node_id="close_1",
            condition_node_id="exit",
            action=spec.RULE_ACTION_CLOSE,
            sizing=spec.PositionSizing(fixed_quantity=0.5),
            priority=2,
        ),
    ]
    risk = spec.RiskSettings(
        stop_loss_fraction=0.02,
        take_profit_fraction=0.05,
        trailing_stop_fraction=0.03,
        position_sizing=spec.PositionSizing(fraction_of_equity=0.5),
        max_exposure_fraction=0.8,
        max_drawdown_halt_fraction=0.25,
        node_ids=["risk_1"],
    )
    tunable_parameters = [
        spec.TunableParameter(
            name="rsi_1.period",
            node_id="rsi_1",
            parameter="period",
            kind=parameter_pb2.PARAMETER_KIND_INTEGER,
            current_value=integer(14),
            range=parameter_pb2.ParameterRange(low=5, high=30, step=1),
        ),
        spec.TunableParameter(
            name="bbands_1.deviations",
            node_id="bbands_1",
            parameter="deviations",
            kind=parameter_pb2.PARAMETER_KIND_NUMBER,
            current_value=number(2.0),
            range=parameter_pb2.ParameterRange(low=0.5, high=4.0, log=True),
        ),
        spec.TunableParameter(
            name="bbands_1.moving_average",
            node_id="bbands_1",
            parameter="moving_average",
            kind=parameter_pb2.PARAMETER_KIND_CHOICE,
            current_value=parameter_pb2.ParameterValue(text="SMA"),
            range=parameter_pb2.ParameterRange(
                choices=[parameter_pb2.ParameterValue(text="SMA"), parameter_pb2.ParameterValue(text="EMA")]
            ),
        ),
    ]
    return spec.StrategySpec(
        spec_version="1",
        workflow_id="wf-1",
        workflow_version=3,
        data_source=spec.DataSource(
            node_id="data_1", symbol="BTC-USD", timeframe=bar_pb2.TIMEFRAME_1_HOUR, dataset_id="ds-1"
        ),
        indicators=_indicators(),
        conditions=_conditions(),
        rules=rules,
        risk=risk,
        tunable_parameters=tunable_parameters,
        warmup_bars=50,
        content_hash="9b74c9897bac770ffc029102a200c5de1cdbd5a2f0a8a2b2d4d1f3c1e5b7a901",
    )
