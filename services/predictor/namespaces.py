"""Who sees which model: platform models by name, registry models by "<owner>/<model>".

Models from the model directory are the platform's: every caller sees them under their plain
name. Models from the trainer's registry belong to a user, so the repository serves them under
the key "<owner>/<model>", and a caller's plain name resolves in the caller's own namespace
first. Another user's key is NOT_FOUND, never PERMISSION_DENIED: nobody learns what others have.
"""

from __future__ import annotations

from services.core.errors import NotFound
from services.core.ownership import Caller, Role

SEPARATOR = "/"


def registry_key(owner_id: str, model_name: str) -> str:
    if not owner_id or not model_name or SEPARATOR in owner_id or SEPARATOR in model_name:
        raise NotFound("model", f"{owner_id}{SEPARATOR}{model_name}")
    return f"{owner_id}{SEPARATOR}{model_name}"


def is_registry_key(key: str) -> bool:
    return SEPARATOR in key


def split_registry_key(key: str) -> tuple[str, str]:
    owner, separator, name = key.partition(SEPARATOR)
    if not separator or not owner or not name or SEPARATOR in name:
        raise NotFound("model", key, f"model {key!r} is not a registry model")
    return owner, name


def served_key(caller: Caller | None, name: str, served: set[str] | dict) -> str:
    """The repository key a caller's model name means.

    A plain name is the caller's own registry model when one is served, else the platform model;
    a key naming an owner is only the owner's (or an admin's) to use; whether the admin is one of the
    owner's organization, which a key does not say, `model_access` asks the registry.
    """
    if is_registry_key(name):
        owner, _ = split_registry_key(name)
        if caller is None or (caller.user_id != owner and caller.role is not Role.ADMIN):
            raise NotFound("model", name, f"model {name!r} is not served here")
        return name
    if caller is not None:
        own = f"{caller.user_id}{SEPARATOR}{name}"
        if own in served:
            return own
    return name


def visible(caller: Caller | None, key: str) -> bool:
    """Whether ListModels shows the key to the caller."""
    if not is_registry_key(key):
        return True
    if caller is None:
        return False
    return caller.role is Role.ADMIN or split_registry_key(key)[0] == caller.user_id
