"""A local certificate authority and a server certificate for Envoy's TLS listener, made once.

`make run` and the test fixtures need TLS that clients can verify without turning
verification off: a private CA (its certificate is what clients trust, e.g.
`grpcurl -cacert .run/tls/ca.crt`) signs a certificate for localhost and 127.0.0.1.
Both are kept under the run directory and reused while they stay valid, so a developer
trusts the CA once. Private keys are written readable by their owner only.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_LIFETIME = datetime.timedelta(days=3650)
# browsers refuse server certificates valid for longer than 398 days
SERVER_LIFETIME = datetime.timedelta(days=397)
# renew a server certificate this long before it expires
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class LocalCertificates:
    directory: Path

    @property
    def ca_certificate(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_certificate(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"


def ensure_local_certificates(
    directory: Path, hosts: Sequence[str] = DEFAULT_HOSTS, now: datetime.datetime | None = None
) -> LocalCertificates:
    """The CA and a server certificate for `hosts` under `directory`, created or renewed as needed."""
    now = now or datetime.datetime.now(tz=datetime.UTC)
    files = LocalCertificates(Path(directory).absolute())
    files.directory.mkdir(parents=True, exist_ok=True)
    if not (files.ca_certificate.is_file() and files.ca_key.is_file()) or _expires_soon(
        files.ca_certificate, now
    ):
        _write_ca(files, now)
    if not _server_certificate_is_usable(files, hosts, now):
        _write_server_certificate(files, hosts, now)
    return files


def _write_ca(files: LocalCertificates, now: datetime.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Alphintra local development CA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(files.ca_key, key)
    files.ca_certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    # a new CA invalidates the server certificate it did not sign
    files.server_certificate.unlink(missing_ok=True)


def _write_server_certificate(files: LocalCertificates, hosts: Sequence[str], now: datetime.datetime) -> None:
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca = x509.load_pem_x509_certificate(files.ca_certificate.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + SERVER_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(files.server_key, key)
    files.server_certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _server_certificate_is_usable(
    files: LocalCertificates, hosts: Sequence[str], now: datetime.datetime
) -> bool:
    if not (files.server_certificate.is_file() and files.server_key.is_file()):
        return False
    certificate = x509.load_pem_x509_certificate(files.server_certificate.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca_certificate.read_bytes())
    if certificate.issuer != ca.subject or _expires_soon(files.server_certificate, now):
        return False
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    covered = {str(name) for name in names.get_values_for_type(x509.DNSName)}
    covered |= {str(address) for address in names.get_values_for_type(x509.IPAddress)}
    return set(hosts) <= covered


def _expires_soon(path: Path, now: datetime.datetime) -> bool:
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return certificate.not_valid_after_utc - RENEW_BEFORE <= now


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _key_usage(*, signing_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signing_certificates,
        crl_sign=signing_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(pem)
