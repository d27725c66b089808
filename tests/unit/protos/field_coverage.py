"""Which fields a message tree populates, against every field its type can reach.

A round trip keeps every field only if the sample populates every field somewhere: these helpers let the
tests prove that of their samples instead of assuming it. "Populated" is what protobuf serialises: a set
oneof member, a non-empty repeated or map field, a non-default scalar.
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

FieldKey = tuple[str, str]  # (message full name, field name)


def _map_value_field(field: FieldDescriptor) -> FieldDescriptor | None:
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        return field.message_type.fields_by_name["value"]
    return None


def reachable_fields(descriptor: Descriptor, seen: set[str] | None = None) -> set[FieldKey]:
    """Every field of descriptor and of every message type reachable from it (map entries see through)."""
    seen = set() if seen is None else seen
    if descriptor.full_name in seen:
        return set()
    seen.add(descriptor.full_name)
    fields: set[FieldKey] = set()
    for field in descriptor.fields:
        fields.add((descriptor.full_name, field.name))
        value_field = _map_value_field(field)
        target = value_field if value_field is not None else field
        if target.type == FieldDescriptor.TYPE_MESSAGE:
            fields |= reachable_fields(target.message_type, seen)
    return fields


def populated_fields(message: Message) -> set[FieldKey]:
    """Every (type, field) that holds a value somewhere in this message tree."""
    populated: set[FieldKey] = set()
    for field, value in message.ListFields():
        populated.add((message.DESCRIPTOR.full_name, field.name))
        value_field = _map_value_field(field)
        if value_field is not None:
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value.values():
                    populated |= populated_fields(item)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in value if field.is_repeated else [value]:
                populated |= populated_fields(item)
    return populated
