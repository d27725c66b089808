"""A workflow graph indexed for reading: nodes by id, connected edges by port, topological order.

The index is lenient by design: it keeps only what it can make sense of (the first node of each
id, edges whose two ends name known nodes and ports of one data type) so that validation can
keep looking for further problems in a broken graph, and the compiler, which runs only on graphs
that validated, reads connections without re-checking them.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from alphintra.workflow.v1.workflow_pb2 import Edge, Node, WorkflowGraph
from services.core.strategy.catalog import input_ports, output_ports_of


@dataclass(frozen=True, slots=True)
class GraphIndex:
    nodes: dict[str, Node]
    # Edges whose ends resolve to existing nodes and ports of one data type, in graph order.
    edges: list[Edge]
    # target node id → input port → its edges
    incoming: dict[str, dict[str, list[Edge]]] = field(default_factory=dict)
    # source node id → its edges
    outgoing: dict[str, list[Edge]] = field(default_factory=dict)

    @classmethod
    def build(cls, graph: WorkflowGraph) -> GraphIndex:
        nodes: dict[str, Node] = {}
        for node in graph.nodes:
            nodes.setdefault(node.id, node)
        edges = [edge for edge in graph.edges if connects(edge, nodes)]
        incoming: dict[str, dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
        outgoing: dict[str, list[Edge]] = defaultdict(list)
        for edge in edges:
            incoming[edge.target_node][edge.target_port].append(edge)
            outgoing[edge.source_node].append(edge)
        return cls(nodes=nodes, edges=edges, incoming=incoming, outgoing=outgoing)

    def inputs_of(self, node_id: str, port: str) -> list[Edge]:
        return self.incoming.get(node_id, {}).get(port, [])

    def single_input(self, node_id: str, port: str) -> Edge | None:
        edges = self.inputs_of(node_id, port)
        return edges[0] if edges else None

    def upstream(self, node_id: str) -> list[str]:
        """Ids of the nodes feeding `node_id`, in a stable order."""
        return sorted(
            {edge.source_node for by_port in self.incoming.get(node_id, {}).values() for edge in by_port}
        )

    def ancestors(self, node_ids: list[str]) -> set[str]:
        """Every node some of `node_ids` depends on, themselves included."""
        seen = set(node_ids)
        pending = list(node_ids)
        while pending:
            for source in self.upstream(pending.pop()):
                if source not in seen:
                    seen.add(source)
                    pending.append(source)
        return seen

    def topological_order(self) -> list[str]:
        """Node ids, each after every node it reads; among ready nodes the smallest id first.

        Nodes on a cycle (and those downstream of one) are left out.
        """
        waiting = {node_id: len(self.upstream(node_id)) for node_id in self.nodes}
        ready = [node_id for node_id, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            node_id = heapq.heappop(ready)
            order.append(node_id)
            for target in sorted({edge.target_node for edge in self.outgoing.get(node_id, [])}):
                waiting[target] -= 1
                if waiting[target] == 0:
                    heapq.heappush(ready, target)
        return order

    def cyclic_nodes(self) -> list[str]:
        """Nodes on a cycle, or on a path between cycles: what is left after peeling sources and sinks."""
        remaining = set(self.nodes)
        changed = True
        while changed:
            changed = False
            for node_id in sorted(remaining):
                feeds = {edge.target_node for edge in self.outgoing.get(node_id, [])} & remaining
                fed = set(self.upstream(node_id)) & remaining
                if not feeds or not fed:
                    remaining.discard(node_id)
                    changed = True
        return sorted(remaining)


def connects(edge: Edge, nodes: dict[str, Node]) -> bool:
    """Both ends exist and name ports of one data type."""
    source, target = nodes.get(edge.source_node), nodes.get(edge.target_node)
    if source is None or target is None:
        return False
    outputs = output_ports_of(source) or {}
    inputs = input_ports(target)
    if edge.source_port not in outputs or edge.target_port not in inputs:
        return False
    return outputs[edge.source_port].data_type == inputs[edge.target_port].data_type
