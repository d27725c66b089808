"""Build workflow graphs in Python, as the editor would draw them: templates and tests use it.

    graph = (
        GraphBuilder()
        .node("data", "dataSource", symbol="GOOG")
        .node("fast", "technicalIndicator", indicator="SMA", period=10)
        .connect("data.bars", "fast.bars")
        .build()
    )

Parameters are given as Python values (converted with `from_python`: int → integer, float →
number, str → text, bool → flag); `ranges` marks parameters for optimisation.
"""

from __future__ import annotations

from collections.abc import Mapping

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.workflow.v1.workflow_pb2 import Edge, Node, NodePosition, WorkflowGraph
from services.core.strategy.parameters import PythonValue, from_python


class GraphBuilder:
    def __init__(self) -> None:
        self._graph = WorkflowGraph()

    def node(
        self,
        node_id: str,
        node_type: str,
        *,
        label: str = "",
        position: tuple[float, float] = (0.0, 0.0),
        ranges: Mapping[str, ParameterRange] | None = None,
        **parameters: PythonValue,
    ) -> GraphBuilder:
        node = Node(
            id=node_id, type=node_type, label=label, position=NodePosition(x=position[0], y=position[1])
        )
        for name, value in parameters.items():
            node.parameters[name].CopyFrom(from_python(value))
        for name, search in (ranges or {}).items():
            node.optimization_ranges[name].CopyFrom(search)
        self._graph.nodes.append(node)
        return self

    def connect(self, source: str, target: str, *, edge_id: str = "") -> GraphBuilder:
        """An edge from "node.port" to "node.port" (split at the last dot); ids default to e1, e2, ..."""
        source_node, _, source_port = source.rpartition(".")
        target_node, _, target_port = target.rpartition(".")
        self._graph.edges.append(
            Edge(
                id=edge_id or f"e{len(self._graph.edges) + 1}",
                source_node=source_node,
                source_port=source_port,
                target_node=target_node,
                target_port=target_port,
            )
        )
        return self

    def build(self) -> WorkflowGraph:
        """A copy of the graph built so far."""
        graph = WorkflowGraph()
        graph.CopyFrom(self._graph)
        return graph
