"""Structural problems: size limits, ids, node types, edges, ports, required inputs and cycles."""

from __future__ import annotations

import unicodedata
from collections import Counter

from alphintra.workflow.v1.node_catalog_pb2 import PortDataType
from alphintra.workflow.v1.validation_pb2 import ValidationProblem
from alphintra.workflow.v1.workflow_pb2 import Edge, Node, WorkflowGraph
from services.core.strategy.catalog import NODE_TYPES, input_ports, output_ports_of
from services.core.strategy.graph import GraphIndex
from services.core.strategy.problems import MAX_ID_LENGTH, error, shown_id, warning

# A strategy a person draws has tens of nodes; these bounds keep validation cheap on hostile input.
MAX_NODES = 500
MAX_EDGES = 2000
MAX_PARAMETERS_PER_NODE = 64


def size_problems(graph: WorkflowGraph) -> list[ValidationProblem]:
    """Refuse, before reading further, a graph too big to be a hand-drawn strategy."""
    problems = []
    if len(graph.nodes) > MAX_NODES:
        problems.append(
            error("GRAPH_TOO_LARGE", f"{len(graph.nodes)} nodes; at most {MAX_NODES} are allowed")
        )
    if len(graph.edges) > MAX_EDGES:
        problems.append(
            error("GRAPH_TOO_LARGE", f"{len(graph.edges)} edges; at most {MAX_EDGES} are allowed")
        )
    crowded = next((node for node in graph.nodes if _entries(node) > MAX_PARAMETERS_PER_NODE), None)
    if crowded is not None:
        problems.append(
            error(
                "GRAPH_TOO_LARGE",
                f"{shown_id(crowded.id)} has more than {MAX_PARAMETERS_PER_NODE} parameters or ranges",
                node_id=crowded.id,
            )
        )
    return problems


def identity_problems(graph: WorkflowGraph) -> list[ValidationProblem]:
    """Ids that are empty, too long, carry control characters, or repeat."""
    problems = []
    for kind, items, where in (("node", graph.nodes, "node_id"), ("edge", graph.edges, "edge_id")):
        counts = Counter(item.id for item in items)
        for identifier in counts:
            reason = id_problem(identifier)
            if reason:
                problems.append(
                    error("INVALID_ID", f"{kind} id {shown_id(identifier)} {reason}", **{where: identifier})
                )
            if counts[identifier] > 1:
                code = f"DUPLICATE_{kind.upper()}_ID"
                message = f"{counts[identifier]} {kind}s have the id {shown_id(identifier)}"
                problems.append(error(code, message, **{where: identifier}))
    return problems


def id_problem(identifier: str) -> str:
    """What is wrong with an id, or ""."""
    if not identifier:
        return "is empty"
    if len(identifier) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    if any(_is_control(character) for character in identifier):
        return "contains control, format or line-separator characters"
    return ""


def node_type_problems(graph: WorkflowGraph) -> list[ValidationProblem]:
    return [
        error(
            "UNKNOWN_NODE_TYPE",
            f"{shown_id(node.id)}: unknown node type {shown_id(node.type)}; known: {', '.join(NODE_TYPES)}",
            node_id=node.id,
        )
        for node in graph.nodes
        if node.type not in NODE_TYPES
    ]


def edge_problems(graph: WorkflowGraph, index: GraphIndex) -> list[ValidationProblem]:
    """Edges to unknown nodes or ports, or joining ports of different data types."""
    problems = []
    for edge in graph.edges:
        problem = _edge_problem(edge, index.nodes)
        if problem is not None:
            problems.append(problem)
    return problems


def input_problems(index: GraphIndex) -> list[ValidationProblem]:
    """Required inputs left open, single inputs fed twice, the same connection made twice."""
    problems = []
    for node in index.nodes.values():
        for port in input_ports(node).values():
            edges = index.inputs_of(node.id, port.name)
            where = {"node_id": node.id, "port": port.name}
            if port.required and not edges:
                message = f"{shown_id(node.id)}: input {port.name} must be connected"
                problems.append(error("REQUIRED_INPUT_MISSING", message, **where))
            if len(edges) > 1 and not port.multiple:
                message = f"{shown_id(node.id)}: input {port.name} takes one edge, has {len(edges)}"
                problems.append(error("TOO_MANY_INPUTS", message, **where))
            sources = Counter((edge.source_node, edge.source_port) for edge in edges)
            if port.multiple and any(count > 1 for count in sources.values()):
                message = f"{shown_id(node.id)}: input {port.name} receives the same output twice"
                problems.append(warning("DUPLICATE_EDGE", message, **where))
    return problems


def cycle_problems(index: GraphIndex) -> list[ValidationProblem]:
    cyclic = index.cyclic_nodes()
    if not cyclic:
        return []
    listed = ", ".join(shown_id(node_id) for node_id in cyclic[:10]) + (" …" if len(cyclic) > 10 else "")
    return [
        error("CYCLE", f"the graph must be acyclic; these nodes form a cycle: {listed}", node_id=cyclic[0])
    ]


def _edge_problem(edge: Edge, nodes: dict[str, Node]) -> ValidationProblem | None:
    where = {"edge_id": edge.id}
    for end, node_id in (("source", edge.source_node), ("target", edge.target_node)):
        if node_id not in nodes:
            message = f"edge {shown_id(edge.id)}: {end} node {shown_id(node_id)} does not exist"
            return error("DANGLING_EDGE", message, **where)
    outputs = output_ports_of(nodes[edge.source_node])
    inputs = input_ports(nodes[edge.target_node])
    if outputs is None or nodes[edge.target_node].type not in NODE_TYPES:
        return None  # the unknown node type (or indicator) is reported on the node
    if edge.source_port not in outputs:
        return _unknown_port(edge, edge.source_node, edge.source_port, "output", sorted(outputs))
    if edge.target_port not in inputs:
        return _unknown_port(edge, edge.target_node, edge.target_port, "input", sorted(inputs))
    produced = outputs[edge.source_port].data_type
    accepted = inputs[edge.target_port].data_type
    if produced != accepted:
        message = (
            f"edge {shown_id(edge.id)}: {edge.source_port} gives {_type_name(produced)} but "
            f"{edge.target_port} of {shown_id(edge.target_node)} takes {_type_name(accepted)}"
        )
        return error("PORT_TYPE_MISMATCH", message, **where, port=edge.target_port)
    return None


def _unknown_port(edge: Edge, node_id: str, port: str, side: str, known: list[str]) -> ValidationProblem:
    message = (
        f"edge {shown_id(edge.id)}: {shown_id(node_id)} has no {side} {shown_id(port)}; "
        f"its {side}s are {', '.join(known) or 'none'}"
    )
    return error("UNKNOWN_PORT", message, edge_id=edge.id, port=port)


def _type_name(data_type: int) -> str:
    return PortDataType.Name(data_type).removeprefix("PORT_DATA_TYPE_").lower().replace("_", " ")


def _entries(node: Node) -> int:
    return len(node.parameters) + len(node.optimization_ranges)


def _is_control(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] == "C" or category in ("Zl", "Zp")
