"""Walking the RPCs of a descriptor set and reading their google.api.http rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

PATH_VARIABLE = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")


@dataclass(frozen=True)
class Rpc:
    file: descriptor_pb2.FileDescriptorProto
    service: descriptor_pb2.ServiceDescriptorProto
    method: descriptor_pb2.MethodDescriptorProto
    service_index: int
    method_index: int

    @property
    def full_name(self) -> str:
        return f"{self.file.package}.{self.service.name}.{self.method.name}"

    @property
    def request_type(self) -> str:
        return self.method.input_type.lstrip(".")

    @property
    def response_type(self) -> str:
        return self.method.output_type.lstrip(".")

    def has_http_rule(self) -> bool:
        return self.method.options.HasExtension(annotations_pb2.http)

    def http_rules(self) -> list[http_pb2.HttpRule]:
        """The primary rule and its additional bindings; empty without an annotation."""
        if not self.has_http_rule():
            return []
        rule = self.method.options.Extensions[annotations_pb2.http]
        return [rule, *rule.additional_bindings]


def rpcs(files: list[descriptor_pb2.FileDescriptorProto]) -> Iterator[Rpc]:
    for file in files:
        for service_index, service in enumerate(file.service):
            for method_index, method in enumerate(service.method):
                yield Rpc(file, service, method, service_index, method_index)


def verb_and_path(rule: http_pb2.HttpRule) -> tuple[str, str]:
    pattern = rule.WhichOneof("pattern")
    if pattern == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    assert pattern is not None, f"HTTP rule without a pattern: {rule}"
    return pattern.upper(), getattr(rule, pattern)


def path_variables(path: str) -> list[str]:
    """Field paths bound by a template, e.g. "/v1/{workflow.id}/x/{y=*}" -> ["workflow.id", "y"]."""
    return PATH_VARIABLE.findall(path)


def path_shape(path: str) -> str:
    """The template with variable names erased: two RPCs with the same shape and verb collide."""
    return PATH_VARIABLE.sub("{}", path)
