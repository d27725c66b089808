"""Which served registry models a caller may use: the owner's own, and an organisation admin's.

A registry key ("<owner>/<model>") names its owner but not the owner's organisation, and the
rule (services/core/ownership.py) lets an admin read only their own organisation's models. So an
admin asking for another user's key is checked by the registry itself: the predictor asks it for
the model as that admin, and the registry's own ownership rule answers. The answer depends only
on the model's stored organisation, which never changes, so it is remembered per (key,
organisation). Owners and platform models are decided here without a call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from services.core.errors import NotFound
from services.core.ownership import Caller
from services.predictor.namespaces import is_registry_key, served_key, split_registry_key, visible

# (admin, owner id, model name) -> whether the registry lets that admin read the model
RegistryCheck = Callable[[Caller, str, str], Awaitable[bool]]
MAX_REMEMBERED = 10_000


class ModelAccess:
    def __init__(self, registry_readable: RegistryCheck | None) -> None:
        self._registry_readable = registry_readable
        self._answers: dict[tuple[str, str], bool] = {}

    def resolve_now(self, caller: Caller | None, name: str, served: Mapping[str, object]) -> str | None:
        """The key `name` means for the caller, decided without the registry; None when it must be asked.

        Raises NotFound when the caller may not use the key.
        """
        key = served_key(caller, name, served)
        decided = self._decided(caller, key)
        if decided is None:
            return None
        if not decided:
            raise _not_served(key)
        return key

    async def resolve(self, caller: Caller | None, name: str, served: Mapping[str, object]) -> str:
        key = served_key(caller, name, served)
        if not await self._allowed(caller, key):
            raise _not_served(key)
        return key

    async def listed(self, caller: Caller | None, key: str) -> bool:
        """Whether ListModels shows the key to the caller."""
        return visible(caller, key) and await self._allowed(caller, key)

    def _decided(self, caller: Caller | None, key: str) -> bool | None:
        if not is_registry_key(key):
            return True
        owner, _ = split_registry_key(key)
        if caller is None:
            return False
        if caller.user_id == owner:
            return True
        if not caller.organization_id:
            return False
        return self._answers.get((key, caller.organization_id))

    async def _allowed(self, caller: Caller | None, key: str) -> bool:
        decided = self._decided(caller, key)
        if decided is not None:
            return decided
        assert caller is not None
        owner, name = split_registry_key(key)
        allowed = self._registry_readable is not None and await self._registry_readable(caller, owner, name)
        if len(self._answers) >= MAX_REMEMBERED:
            self._answers.clear()
        self._answers[(key, caller.organization_id)] = allowed
        return allowed


def _not_served(key: str) -> NotFound:
    return NotFound("model", key, f"model {key!r} is not served here")
