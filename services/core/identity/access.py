"""Which role and plan tier each RPC needs: the table Envoy enforces before a call reaches a service.

Tiers follow the platform's journeys: BASIC draws no-code strategies, backtests them on
datasets, paper-trades and follows signals; PRO adds model training, experiments, the
registry, predictions and webhooks; PREMIUM adds live deployments and the real-time
streams (bar feeds, streamed predictions, bulk signal publishing). Roles: a GET reads
(viewer), anything else changes something (trader), with the exceptions listed below.

Envoy checks these claims on every request (RBAC on the verified JWT); the services
still check ownership of each resource, which needs their data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.core.identity.tiers import PlanTier
from services.core.ownership import Role


class TokenRule(StrEnum):
    REQUIRED = "required"
    # the call works without a token, and a token that is sent must still be valid (Logout)
    OPTIONAL = "optional"
    # no token: signing in, the JWKS, health
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Requirement:
    token: TokenRule = TokenRule.REQUIRED
    role: Role = Role.VIEWER
    tier: PlanTier = PlanTier.BASIC

    @property
    def checks_claims(self) -> bool:
        return self.token is TokenRule.REQUIRED


PUBLIC = Requirement(token=TokenRule.NONE)

# the lowest tier of each service ("package.Service")
SERVICE_TIERS: Mapping[str, PlanTier] = {
    "alphintra.auth.v1.AuthService": PlanTier.BASIC,
    "alphintra.workflow.v1.WorkflowService": PlanTier.BASIC,
    "alphintra.trainer.v1.DatasetService": PlanTier.BASIC,
    "alphintra.trainer.v1.BacktestService": PlanTier.BASIC,
    "alphintra.trainer.v1.ExperimentService": PlanTier.PRO,
    "alphintra.trainer.v1.TrainingService": PlanTier.PRO,
    "alphintra.trainer.v1.ModelRegistryService": PlanTier.PRO,
    "alphintra.predictor.v1.PredictorService": PlanTier.PRO,
    "alphintra.predictor.v1.DeploymentService": PlanTier.PREMIUM,
    "inference.GRPCInferenceService": PlanTier.PRO,
    "alphintra.signalbus.v1.SignalBusService": PlanTier.BASIC,
    "alphintra.signalbus.v1.WebhookService": PlanTier.PRO,
    "alphintra.signalbus.v1.PaperTradingService": PlanTier.BASIC,
}

_AUTH = "alphintra.auth.v1.AuthService"
_BUS = "alphintra.signalbus.v1.SignalBusService"
_PREDICTOR = "alphintra.predictor.v1.PredictorService"
_INFERENCE = "inference.GRPCInferenceService"

# "package.Service/Method" -> what it needs, where the defaults above are wrong
METHOD_REQUIREMENTS: Mapping[str, Requirement] = {
    # signing in needs no token; Logout takes a refresh token, or a token for all sessions
    f"{_AUTH}/Login": PUBLIC,
    f"{_AUTH}/RefreshToken": PUBLIC,
    f"{_AUTH}/ExchangeApiKey": PUBLIC,
    f"{_AUTH}/GetJwks": PUBLIC,
    f"{_AUTH}/Logout": Requirement(token=TokenRule.OPTIONAL),
    # viewers manage their own password and read-only keys
    f"{_AUTH}/UpdateUser": Requirement(),
    f"{_AUTH}/CreateApiKey": Requirement(),
    f"{_AUTH}/RevokeApiKey": Requirement(),
    f"{_AUTH}/CreateUser": Requirement(role=Role.ADMIN),
    f"{_AUTH}/ListUsers": Requirement(role=Role.ADMIN),
    # health, for load balancers and probes
    f"{_INFERENCE}/ServerLive": PUBLIC,
    f"{_INFERENCE}/ServerReady": PUBLIC,
    # POSTs that only read
    "alphintra.workflow.v1.WorkflowService/ValidateWorkflow": Requirement(),
    "alphintra.workflow.v1.WorkflowService/TraceStrategy": Requirement(),
    "alphintra.trainer.v1.ExperimentService/SearchRuns": Requirement(tier=PlanTier.PRO),
    f"{_BUS}/Subscribe": Requirement(),
    f"{_PREDICTOR}/Predict": Requirement(tier=PlanTier.PRO),
    f"{_INFERENCE}/ModelInfer": Requirement(tier=PlanTier.PRO),
    # the real-time streams
    f"{_BUS}/SubscribeBars": Requirement(tier=PlanTier.PREMIUM),
    f"{_BUS}/PublishBars": Requirement(role=Role.TRADER, tier=PlanTier.PREMIUM),
    f"{_BUS}/PublishSignals": Requirement(role=Role.TRADER, tier=PlanTier.PREMIUM),
    f"{_BUS}/PublishSignal": Requirement(role=Role.TRADER, tier=PlanTier.PRO),
    f"{_PREDICTOR}/PredictStream": Requirement(tier=PlanTier.PREMIUM),
    f"{_INFERENCE}/ModelStreamInfer": Requirement(tier=PlanTier.PREMIUM),
    # shared serving capacity and platform data are the operators'
    f"{_PREDICTOR}/LoadModel": Requirement(role=Role.ADMIN, tier=PlanTier.PRO),
    f"{_PREDICTOR}/UnloadModel": Requirement(role=Role.ADMIN, tier=PlanTier.PRO),
    f"{_PREDICTOR}/SetTrafficSplit": Requirement(role=Role.ADMIN, tier=PlanTier.PRO),
    "alphintra.trainer.v1.DatasetService/GeneratePlatformDataset": Requirement(role=Role.ADMIN),
}

READ_VERBS = frozenset({"get"})


class UnknownService(KeyError):
    """An RPC of a service the table does not know: it must be given a tier before it is exposed."""


def requirement(service: str, method: str, http_verb: str) -> Requirement:
    """What `service/method` needs; `http_verb` is its google.api.http verb ("get", "post"...)."""
    explicit = METHOD_REQUIREMENTS.get(f"{service}/{method}")
    if explicit is not None:
        return explicit
    if service not in SERVICE_TIERS:
        raise UnknownService(f"{service} has no plan tier in services.core.identity.access")
    role = Role.VIEWER if http_verb.lower() in READ_VERBS else Role.TRADER
    return Requirement(role=role, tier=SERVICE_TIERS[service])
