"""What the library's own types say about fields, masks and resource names, read for the fake.

- Field behaviour: the proto-plus classes document every field as "Immutable." or "Output only." (the
  `google.api.field_behavior` annotations of the published protos, carried into the docstrings). The fake
  takes mutability from there, never from the connector.
- Masks: a path must name a field of the resource (`FieldMask.IsValidForDescriptor`), every field on the
  path must be mutable, and a message field that has sub-fields may be cleared but not updated
  (`FieldMaskError.FIELD_HAS_SUBFIELDS`: "the field mask should select all the subfields").
- Applying a mask follows the API's documented semantics: a path whose field is unset in the update
  clears it; a path into a oneof member's sub-field selects that member.
- MUTABLE_RESOURCE answers carry the resource name and the mutable fields only (the stricter reading of
  "the resource with mutable fields if possible").
- Resource names are parsed with the service clients' own `parse_*_path` helpers.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from google.ads.googleads.v26.services.services.ad_group_criterion_service import AdGroupCriterionServiceClient
from google.ads.googleads.v26.services.services.campaign_budget_service import CampaignBudgetServiceClient
from google.ads.googleads.v26.services.services.campaign_criterion_service import CampaignCriterionServiceClient
from google.ads.googleads.v26.services.services.campaign_service import CampaignServiceClient
from google.protobuf import field_mask_pb2
from google.protobuf.descriptor import FieldDescriptor

_ATTRIBUTE = re.compile(r"^ {8}(\w+) \(")
_BEHAVIOUR = re.compile(r"^\s*(Immutable|Output only)\.")

PARSERS = {
    "campaign": CampaignServiceClient.parse_campaign_path,
    "campaign_budget": CampaignBudgetServiceClient.parse_campaign_budget_path,
    "campaign_criterion": CampaignCriterionServiceClient.parse_campaign_criterion_path,
    "ad_group_criterion": AdGroupCriterionServiceClient.parse_ad_group_criterion_path,
}


def parse_name(kind: str, name: str) -> dict[str, str]:
    """The ids in a resource name ({} when it is not a `kind` name), by the library's own parser."""
    return PARSERS[kind](name)


def _proto_plus_class(descriptor: Any) -> Any:
    """The proto-plus class of a raw protobuf descriptor (its module sits next to the proto-plus one)."""
    import importlib

    package = descriptor.file.package  # google.ads.googleads.v26.resources
    module = importlib.import_module(f"{package}.types.{descriptor.file.name.rsplit('/', 1)[-1][:-6]}")
    return getattr(module, descriptor.name)


@cache
def behaviours(descriptor: Any) -> dict[str, str]:
    """Field name (protobuf spelling) → "IMMUTABLE" | "OUTPUT_ONLY" | "MUTABLE", from the docstring."""
    doc = _proto_plus_class(descriptor).__doc__ or ""
    found: dict[str, str] = {}
    lines = doc.splitlines()
    for index, line in enumerate(lines):
        match = _ATTRIBUTE.match(line)
        if not match:
            continue
        name = match.group(1).rstrip("_") if match.group(1).rstrip("_") in descriptor.fields_by_name else match.group(1)
        first = lines[index + 1] if index + 1 < len(lines) else ""
        behaviour = _BEHAVIOUR.match(first)
        found[name] = {"Immutable": "IMMUTABLE", "Output only": "OUTPUT_ONLY"}[behaviour.group(1)] if behaviour \
            else "MUTABLE"
    return found


def mask_problem(paths: list[str], update: Any) -> tuple[str, str, str] | None:
    """(error family, error name, message) for the first bad path of an update mask, else None."""
    descriptor = update.DESCRIPTOR
    for path in paths:
        if not field_mask_pb2.FieldMask(paths=[path]).IsValidForDescriptor(descriptor):
            return "field_mask_error", "FIELD_NOT_FOUND", f"the field mask names no field {path}"
        message, current = update, descriptor
        parts = path.split(".")
        for depth, part in enumerate(parts):
            behaviour = behaviours(current).get(part, "MUTABLE")
            if behaviour != "MUTABLE":
                return "field_error", "IMMUTABLE_FIELD", f"{path} is {behaviour.lower().replace('_', ' ')}"
            field = current.fields_by_name[part]
            leaf = depth == len(parts) - 1
            if leaf and field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.fields \
                    and message is not None and message.HasField(part):
                return ("field_mask_error", "FIELD_HAS_SUBFIELDS",
                        f"{path} has sub-fields: it may be cleared, not updated; name its sub-fields instead")
            if not leaf:
                message = getattr(message, part) if message is not None and message.HasField(part) else None
                current = field.message_type
    return None


def apply_mask(paths: list[str], update: Any, stored: Any) -> None:
    """Copy the masked fields of `update` into `stored`: a set field is written, an unset one cleared."""
    for path in paths:
        source, target = update, stored
        parts = path.split(".")
        for part in parts[:-1]:
            present = source is not None and source.HasField(part)
            source = getattr(source, part) if present else None
            if present or target.HasField(part):
                getattr(target, part).SetInParent()  # selects the oneof member the path points into
            target = getattr(target, part)
        leaf = parts[-1]
        field = target.DESCRIPTOR.fields_by_name[leaf]
        has = source is not None and (source.HasField(leaf) if field.has_presence else True)
        if not has:
            target.ClearField(leaf)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            getattr(target, leaf).CopyFrom(getattr(source, leaf))
        else:
            setattr(target, leaf, getattr(source, leaf))


def mutable_view(resource: Any) -> Any:
    """The resource as a MUTABLE_RESOURCE result shows it: its name and its mutable fields only."""
    view = type(resource)()
    kinds = behaviours(resource.DESCRIPTOR)
    for field, value in resource.ListFields():
        if field.name == "resource_name" or kinds.get(field.name, "MUTABLE") == "MUTABLE":
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                getattr(view, field.name).CopyFrom(value)
            else:
                setattr(view, field.name, value)
    return view
