"""gRPC handlers of the identity service: protobuf <-> the facade, nothing else."""

from __future__ import annotations

import grpc
from google.api import httpbody_pb2

from alphintra.auth.v1 import auth_pb2 as messages
from alphintra.auth.v1 import auth_pb2_grpc
from services.core.errors import Unauthenticated
from services.core.ownership import Caller
from services.gateway.app import GatewayApp
from services.gateway.token_context import TokenContext
from services.mesh.identity import current_caller

Context = grpc.aio.ServicerContext


def _token(context: Context) -> TokenContext:
    return TokenContext.from_metadata(context.invocation_metadata())


def _caller_if_any() -> Caller | None:
    try:
        return current_caller()
    except Unauthenticated:
        return None


class GatewayHandlers(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, app: GatewayApp) -> None:
        self.app = app

    async def Login(self, request: messages.LoginRequest, context: Context) -> messages.LoginResponse:
        return await self.app.authentication.login(request.username, request.password)

    async def RefreshToken(
        self, request: messages.RefreshTokenRequest, context: Context
    ) -> messages.RefreshTokenResponse:
        return messages.RefreshTokenResponse(
            tokens=await self.app.authentication.refresh(request.refresh_token)
        )

    async def Logout(self, request: messages.LogoutRequest, context: Context) -> messages.LogoutResponse:
        count = await self.app.authentication.logout(
            request.refresh_token, request.all_sessions, _caller_if_any()
        )
        return messages.LogoutResponse(revoked_session_count=count)

    async def ExchangeApiKey(
        self, request: messages.ExchangeApiKeyRequest, context: Context
    ) -> messages.ExchangeApiKeyResponse:
        return messages.ExchangeApiKeyResponse(
            tokens=await self.app.authentication.exchange_api_key(request.api_key)
        )

    async def CreateApiKey(
        self, request: messages.CreateApiKeyRequest, context: Context
    ) -> messages.CreateApiKeyResponse:
        return await self.app.api_keys.create(current_caller(), _token(context), request)

    async def ListApiKeys(
        self, request: messages.ListApiKeysRequest, context: Context
    ) -> messages.ListApiKeysResponse:
        return await self.app.api_keys.list(current_caller(), request)

    async def RevokeApiKey(
        self, request: messages.RevokeApiKeyRequest, context: Context
    ) -> messages.RevokeApiKeyResponse:
        return await self.app.api_keys.revoke(current_caller(), request.api_key_id)

    async def WhoAmI(self, request: messages.WhoAmIRequest, context: Context) -> messages.WhoAmIResponse:
        return await self.app.authentication.who_am_i(current_caller(), _token(context))

    async def GetJwks(self, request: messages.GetJwksRequest, context: Context) -> httpbody_pb2.HttpBody:
        return httpbody_pb2.HttpBody(
            content_type="application/json", data=await self.app.authentication.jwks()
        )

    async def CreateUser(
        self, request: messages.CreateUserRequest, context: Context
    ) -> messages.CreateUserResponse:
        user = await self.app.directory.create_user(
            current_caller(), request.user, request.initial_password, request.request_id
        )
        return messages.CreateUserResponse(user=user)

    async def GetUser(self, request: messages.GetUserRequest, context: Context) -> messages.GetUserResponse:
        return messages.GetUserResponse(
            user=await self.app.directory.get_user(current_caller(), request.user_id)
        )

    async def ListUsers(
        self, request: messages.ListUsersRequest, context: Context
    ) -> messages.ListUsersResponse:
        return await self.app.directory.list_users(current_caller(), request)

    async def UpdateUser(
        self, request: messages.UpdateUserRequest, context: Context
    ) -> messages.UpdateUserResponse:
        user = await self.app.directory.update_user(
            current_caller(),
            request.user,
            list(request.update_mask.paths),
            request.new_password,
            request.current_password,
        )
        return messages.UpdateUserResponse(user=user)

    async def CreateOrganization(
        self, request: messages.CreateOrganizationRequest, context: Context
    ) -> messages.CreateOrganizationResponse:
        organization = await self.app.directory.create_organization(
            current_caller(), request.organization, request.request_id
        )
        return messages.CreateOrganizationResponse(organization=organization)

    async def GetOrganization(
        self, request: messages.GetOrganizationRequest, context: Context
    ) -> messages.GetOrganizationResponse:
        organization = await self.app.directory.get_organization(current_caller(), request.organization_id)
        return messages.GetOrganizationResponse(organization=organization)

    async def ListOrganizationMembers(
        self, request: messages.ListOrganizationMembersRequest, context: Context
    ) -> messages.ListOrganizationMembersResponse:
        return await self.app.directory.list_members(current_caller(), request)
