"""What `make run` needs to put Envoy in front of the mesh: certificates, the first admin, key secrecy.

All of it is made once under the run directory and reused, so a developer trusts the local
CA once and signs in with the same admin every day:

    .run/tls/ca.crt           the CA clients trust (grpcurl -cacert, curl --cacert)
    .run/admin.json           the bootstrap admin's e-mail and a random password (0600)
    .run/signing-key.secret   encrypts the gateway's token signing keys at rest (0600)

Settings a developer exports win: ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL / _PASSWORD,
ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE, ALPHINTRA_GATEWAY__ISSUER / __AUDIENCE (which
Envoy must check too) and ALPHINTRA_ENVOY_CORS_ORIGINS (comma-separated browser origins).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.mesh.devstack.tls import LocalCertificates, ensure_local_certificates
from services.mesh.envoy_config import DEFAULT_AUDIENCE, DEFAULT_ISSUER, JwtSettings, TlsFiles

GATEWAY = "ALPHINTRA_GATEWAY__"
LOCAL_ADMIN_EMAIL = "admin@alphintra.local"
DEFAULT_CORS_ORIGINS = "http://localhost:3000"


@dataclass(frozen=True, slots=True)
class AdminCredentials:
    email: str
    password: str
    # where they are written for the developer; None when they came from the environment
    file: Path | None


@dataclass(frozen=True, slots=True)
class FrontDoorSetup:
    certificates: LocalCertificates
    admin: AdminCredentials
    jwt: JwtSettings
    cors_origins: tuple[str, ...]
    # the variables the gateway process gets on top of its usual ones
    gateway_environment: Mapping[str, str]

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(
            certificate_chain=self.certificates.server_certificate,
            private_key=self.certificates.server_key,
            ca_certificate=self.certificates.ca_certificate,
        )


def prepare_front_door(run_dir: Path, environ: Mapping[str, str]) -> FrontDoorSetup:
    admin = _admin_credentials(run_dir, environ)
    passphrase = environ.get(f"{GATEWAY}SIGNING_KEY_PASSPHRASE") or _secret_file(
        run_dir / "signing-key.secret"
    )
    origins = environ.get("ALPHINTRA_ENVOY_CORS_ORIGINS", DEFAULT_CORS_ORIGINS)
    return FrontDoorSetup(
        certificates=ensure_local_certificates(run_dir / "tls"),
        admin=admin,
        jwt=JwtSettings(
            issuer=environ.get(f"{GATEWAY}ISSUER", DEFAULT_ISSUER),
            audience=environ.get(f"{GATEWAY}AUDIENCE", DEFAULT_AUDIENCE),
        ),
        cors_origins=tuple(origin.strip() for origin in origins.split(",") if origin.strip()),
        gateway_environment={
            f"{GATEWAY}BOOTSTRAP_ADMIN_EMAIL": admin.email,
            f"{GATEWAY}BOOTSTRAP_ADMIN_PASSWORD": admin.password,
            f"{GATEWAY}SIGNING_KEY_PASSPHRASE": passphrase,
        },
    )


def _admin_credentials(run_dir: Path, environ: Mapping[str, str]) -> AdminCredentials:
    email, password = (
        environ.get(f"{GATEWAY}BOOTSTRAP_ADMIN_EMAIL"),
        environ.get(f"{GATEWAY}BOOTSTRAP_ADMIN_PASSWORD"),
    )
    if email and password:
        return AdminCredentials(email, password, file=None)
    path = run_dir / "admin.json"
    if path.is_file():
        stored = json.loads(path.read_text())
        return AdminCredentials(stored["email"], stored["password"], file=path)
    # a random password, made on this machine and shown only to its owner: never a default one
    credentials = {"email": LOCAL_ADMIN_EMAIL, "password": secrets.token_urlsafe(18)}
    _write_private(path, json.dumps(credentials, indent=2) + "\n")
    return AdminCredentials(credentials["email"], credentials["password"], file=path)


def _secret_file(path: Path) -> str:
    if not path.is_file():
        _write_private(path, secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as private_file:
        private_file.write(text)
