"""How the CLI reaches a running mesh: through Envoy, over TLS, with a bearer token.

Where to connect and as whom, first match wins:
- flags: `--address host:port`, `--ca FILE`, `--api-key KEY`
- environment: ALPHINTRA_ADDRESS, ALPHINTRA_CA, ALPHINTRA_API_KEY, ALPHINTRA_TOKEN (an access token)
- the profile `alphintra login` wrote (ALPHINTRA_CONFIG, default ~/.config/alphintra/profile.json,
  mode 0600): address, CA, and the refresh token, which is rotated on every use as the gateway
  requires
- a local mesh started by `make run`: `.run/endpoints.json` gives Envoy's address and CA.

An API key is exchanged for an access token on each run; a refresh token is used when the access
token has expired (or the server says UNAUTHENTICATED), and the new pair is written back.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc

DEFAULT_RUN_DIR = Path(".run")
# refresh this long before the access token expires, so a call does not race its expiry
EXPIRY_MARGIN_SECONDS = 30.0

Stub = TypeVar("Stub")


class CliError(Exception):
    """Something the user must fix before the CLI can talk to the mesh (exit code 2)."""


def profile_path() -> Path:
    configured = os.environ.get("ALPHINTRA_CONFIG")
    if configured:
        return Path(configured)
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return home / "alphintra" / "profile.json"


@dataclass
class Profile:
    address: str = ""
    ca_certificate: str = ""
    access_token: str = ""
    access_expires_at: float = 0.0
    refresh_token: str = ""
    email: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Profile:
        path = path or profile_path()
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise CliError(f"cannot read the profile {path}: {error}") from None
        return cls(**{key: value for key, value in data.items() if key in cls.__dataclass_fields__})

    def save(self, path: Path | None = None) -> Path:
        path = path or profile_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        # written 0600 from the start: it holds a refresh token
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(asdict(self), file, indent=2)
        temporary.replace(path)
        return path

    def remember(self, tokens: auth_pb2.IssuedTokens) -> None:
        self.access_token = tokens.access_token
        self.access_expires_at = tokens.access_token_expire_time.ToNanoseconds() / 1e9
        if tokens.refresh_token:
            self.refresh_token = tokens.refresh_token


def _local_mesh(run_dir: Path) -> tuple[str, str]:
    """Envoy's address and CA from a `make run` mesh in this directory, if there is one."""
    endpoints = run_dir / "endpoints.json"
    if not endpoints.exists():
        return "", ""
    document = json.loads(endpoints.read_text())
    envoy = document.get("envoy", {})
    port = str(envoy.get("address", "")).rsplit(":", 1)[-1]
    return (f"localhost:{port}" if port else ""), envoy.get("ca_certificate") or ""


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--address", help="Envoy's host:port (default: ALPHINTRA_ADDRESS, profile, .run)")
    group.add_argument("--ca", help="CA certificate that signed Envoy's (default: ALPHINTRA_CA, profile)")
    group.add_argument("--api-key", help="an API key to sign in with (default: ALPHINTRA_API_KEY)")
    group.add_argument("--run-dir", default=str(DEFAULT_RUN_DIR), help="a local mesh's run directory")


class Session:
    """A TLS channel to Envoy and the caller's token, refreshed when needed."""

    def __init__(self, profile: Profile, *, api_key: str = "", token: str = "", save: bool = True) -> None:
        if not profile.address:
            raise CliError("no mesh address: pass --address, set ALPHINTRA_ADDRESS, or `make run` here")
        self.profile = profile
        self._api_key = api_key
        self._fixed_token = token
        self._save = save
        if profile.ca_certificate:
            try:
                root = Path(profile.ca_certificate).read_bytes()
            except OSError as error:
                raise CliError(f"cannot read the CA certificate: {error}") from None
            credentials = grpc.ssl_channel_credentials(root_certificates=root)
        else:
            credentials = grpc.ssl_channel_credentials()
        self.channel = grpc.secure_channel(profile.address, credentials)

    def close(self) -> None:
        self.channel.close()

    def stub(self, stub_type: Callable[[grpc.Channel], Stub]) -> Stub:
        return stub_type(self.channel)

    def login(self, email: str, password: str) -> auth_pb2.LoginResponse:
        reply = self.stub(auth_pb2_grpc.AuthServiceStub).Login(
            auth_pb2.LoginRequest(username=email, password=password), timeout=15
        )
        self.profile.remember(reply.tokens)
        self.profile.email = email
        return reply

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self._token()}"),)

    def _token(self) -> str:
        if self._fixed_token:
            return self._fixed_token
        if self.profile.access_token and time.time() < self.profile.access_expires_at - EXPIRY_MARGIN_SECONDS:
            return self.profile.access_token
        self.renew()
        return self.profile.access_token

    def renew(self) -> None:
        auth = self.stub(auth_pb2_grpc.AuthServiceStub)
        if self._api_key:
            reply = auth.ExchangeApiKey(auth_pb2.ExchangeApiKeyRequest(api_key=self._api_key), timeout=15)
            self.profile.remember(reply.tokens)
            return
        if not self.profile.refresh_token:
            raise CliError("not signed in: run `alphintra login`, or pass --api-key")
        try:
            refreshed = auth.RefreshToken(
                auth_pb2.RefreshTokenRequest(refresh_token=self.profile.refresh_token), timeout=15
            )
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                raise CliError("the session has expired: run `alphintra login` again") from None
            raise
        self.profile.remember(refreshed.tokens)
        if self._save:
            self.profile.save()

    def call(self, method: Callable[..., Any], request: Any, *, timeout: float | None = 60.0) -> Any:
        """A unary call with the token; an expired token is renewed once and the call repeated."""
        try:
            return method(request, metadata=self.metadata(), timeout=timeout)
        except grpc.RpcError as error:
            if error.code() is not grpc.StatusCode.UNAUTHENTICATED or self._fixed_token:
                raise
        self.renew()
        return method(request, metadata=self.metadata(), timeout=timeout)


def open_session(arguments: argparse.Namespace) -> Session:
    profile = Profile.load()
    local_address, local_ca = _local_mesh(Path(getattr(arguments, "run_dir", DEFAULT_RUN_DIR)))
    address = arguments.address or os.environ.get("ALPHINTRA_ADDRESS") or profile.address or local_address
    ca = arguments.ca or os.environ.get("ALPHINTRA_CA") or profile.ca_certificate or local_ca
    if address != profile.address and profile.address:
        # another mesh than the profile's: its tokens mean nothing there
        profile = Profile()
    profile.address, profile.ca_certificate = address, ca
    api_key = arguments.api_key or os.environ.get("ALPHINTRA_API_KEY", "")
    token = os.environ.get("ALPHINTRA_TOKEN", "")
    return Session(profile, api_key=api_key, token=token)
