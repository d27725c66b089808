"""What a deployment runs, resolved once at start: its models (with their feature pipelines) or its spec.

A registered model's features are the indicator outputs of the strategy it was trained on. The
version's lineage names that strategy's workflow and version; the workflow service compiles it
to the same spec the trainer used, and the version's signature lists the columns in the model's
input order. A version without a workflow in its lineage cannot have its features computed from
bars (FAILED_PRECONDITION).
"""

from __future__ import annotations

from dataclasses import dataclass

from alphintra.predictor.v1 import deployment_service_pb2 as messages
from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.errors import FailedPrecondition
from services.core.features import FeatureColumn, StreamingFeatures, feature_columns
from services.predictor.namespaces import registry_key
from services.predictor.peer_clients import WorkflowClient
from services.predictor.registry_client import RegistryClient
from services.predictor.repository import ModelRepository


@dataclass(frozen=True, slots=True)
class ModelMember:
    key: str
    version: int | None
    alias: str | None
    weight: float
    spec: StrategySpec
    columns: tuple[FeatureColumn, ...]
    # a classifier's score is a probability (its confidence); a regressor's is a value
    probability: bool

    def pipeline(self) -> StreamingFeatures:
        return StreamingFeatures(self.spec, self.columns)


def selector(reference: messages.ModelReference) -> tuple[int | None, str | None]:
    which = reference.WhichOneof("selector")
    if which == "version":
        return reference.version, None
    if which == "alias":
        return None, reference.alias
    return None, "production"


async def resolve_member(
    owner_id: str,
    reference: messages.ModelReference,
    weight: float,
    *,
    registry: RegistryClient,
    workflows: WorkflowClient,
    repository: ModelRepository,
) -> ModelMember:
    version, alias = selector(reference)
    found = await registry.version(owner_id, reference.model_name, version=version, alias=alias)
    lineage = found.lineage
    if not lineage.workflow_id:
        raise FailedPrecondition(
            f"{reference.model_name} version {found.version} has no workflow in its lineage: its features "
            "cannot be computed from bars",
            [("NO_FEATURE_LINEAGE", f"{reference.model_name}/{found.version}", "train it from a workflow")],
        )
    spec = await workflows.compile(owner_id, lineage.workflow_id, lineage.workflow_version)
    names = list(found.signature.feature_names) or list(lineage.training_config.features)
    columns = feature_columns(spec, names, field="deployment.model")
    key = registry_key(owner_id, reference.model_name)
    await repository.load(key, version=version, alias=alias)
    return ModelMember(
        key=key,
        version=version,
        alias=alias,
        weight=weight,
        spec=spec,
        columns=columns,
        probability=bool(found.signature.class_names),
    )
