"""Calling the mesh through Envoy as a client would: a person with a token; gRPC, REST, gRPC-Web."""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import jwt
from google.protobuf.message import Message

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc

from .front_door import MeshBehindEnvoy

PASSWORD = "a long enough password"
GRPC_WEB_TRAILER_FLAG = 0x80


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Person:
    email: str
    password: str
    tokens: auth_pb2.IssuedTokens

    @property
    def token(self) -> str:
        return self.tokens.access_token

    @property
    def claims(self) -> dict[str, Any]:
        return jwt.decode(self.token, options={"verify_signature": False})

    @property
    def user_id(self) -> str:
        return self.claims["sub"]

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.token)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def signed_in_admin(mesh: MeshBehindEnvoy) -> Person:
    login = mesh.sign_in()
    return Person(login.user.email, "", login.tokens)


def new_person(
    mesh: MeshBehindEnvoy,
    by: Person,
    *,
    role: int = auth_pb2.ROLE_TRADER,
    tier: int = auth_pb2.PLAN_TIER_PREMIUM,
    label: str = "user",
) -> Person:
    """A new member of `by`'s organization (by must be its admin), signed in through Envoy."""
    email = f"{label}-{uuid.uuid4().hex[:10]}@alphintra.test"
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    stub.CreateUser(
        auth_pb2.CreateUserRequest(
            user=auth_pb2.User(email=email, role=role, plan_tier=tier), initial_password=PASSWORD
        ),
        metadata=by.metadata,
        timeout=10,
    )
    return Person(email, PASSWORD, mesh.sign_in(email, PASSWORD).tokens)


def refreshed(mesh: MeshBehindEnvoy, person: Person) -> Person:
    """The same person with tokens that carry their current role, tier and organization."""
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    tokens = stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=person.tokens.refresh_token)).tokens
    return Person(person.email, person.password, tokens)


@dataclass(frozen=True)
class GrpcWebReply:
    status: int
    message: str
    payloads: list[bytes]


def grpc_web_call(
    http: httpx.Client, method: str, request: Message, headers: dict[str, str] | None = None
) -> GrpcWebReply:
    """One unary call in the gRPC-Web wire format (what a browser's grpc-web client sends)."""
    body = request.SerializeToString()
    reply = http.post(
        method,
        content=b"\x00" + struct.pack(">I", len(body)) + body,
        headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1", **(headers or {})},
    )
    # errors before any message (Envoy's own refusals) come as HTTP status plus grpc-status headers
    assert reply.status_code == 200 or "grpc-status" in reply.headers, reply.text
    payloads, trailers = [], dict(reply.headers)
    data, position = reply.content, 0
    while position < len(data):
        flag, length = data[position], struct.unpack(">I", data[position + 1 : position + 5])[0]
        frame = data[position + 5 : position + 5 + length]
        position += 5 + length
        if flag & GRPC_WEB_TRAILER_FLAG:
            for line in frame.decode().split("\r\n"):
                if ":" in line:
                    name, value = line.split(":", 1)
                    trailers[name.strip().lower()] = value.strip()
        else:
            payloads.append(frame)
    return GrpcWebReply(int(trailers.get("grpc-status", "0")), trailers.get("grpc-message", ""), payloads)


def grpc_code(error: grpc.RpcError) -> grpc.StatusCode:
    assert isinstance(error, grpc.Call)
    return error.code()
