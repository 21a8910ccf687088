"""API views for the signed-in account: the API token and the user's settings (`me`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery import services
from gallery.api import serializers
from gallery.api.docs import error_responses
from gallery.api.throttling import RateLimitThrottle


class TokenView(APIView):
    """Obtain (POST, with username and password) or revoke (DELETE) your API token."""

    throttle_scope = "logins"

    def get_authenticators(self):
        # Logging in needs no credentials, and must not trip over a stale session's CSRF check.
        return [] if getattr(self.request, "method", None) == "POST" else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self):
        return [RateLimitThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="auth_token_obtain",
        summary="Obtain your API token",
        description="Exchange a username and password for the user's token (the same one until revoked). "
        "Send it on every request as `Authorization: Token <token>`. Failed attempts count together with "
        "the site's and the admin's log-in: after too many for one username from one address, log-in is "
        "locked for a cool-off (429 `login_locked`, with `Retry-After`), even with the right password; after "
        "too many failures from one address whatever the username, every log-in from it waits (429 `throttled`).",
        request=AuthTokenSerializer,
        responses={200: serializers.TokenSerializer, **error_responses(400, 415, 429)},
        auth=[],
        examples=[
            OpenApiExample("Credentials", {"username": "ada", "password": "s3cret-pass-123"}, request_only=True),
            OpenApiExample("Token", {"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}, response_only=True),
        ],
    )
    def post(self, request):
        # The Django request, not DRF's wrapper: the login lock (django-axes) marks the request
        # it is given, and AxesMiddleware, which answers 429, only sees Django's. So failures
        # here count with the site's and the admin's log-ins, and a locked pair is refused.
        credentials = AuthTokenSerializer(data=request.data, context={"request": request._request})
        credentials.is_valid(raise_exception=True)
        token = services.auth_token_get_or_create(user=credentials.validated_data["user"])
        return Response(serializers.TokenSerializer(token).data)

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke your API token",
        description="Deletes the caller's token; requests with it get 401 until a new one is obtained.",
        request=None,
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request):
        services.auth_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(
        operation_id="me_retrieve",
        summary="The signed-in user",
        responses={200: serializers.MeSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(serializers.MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_partial_update",
        summary="Change your settings",
        description="Turn the e-mail sent when a stylization succeeds or fails on or off. An account without "
        "an e-mail address cannot turn it on (400).",
        request=serializers.MeUpdateSerializer,
        responses={200: serializers.MeSerializer, **error_responses(400, 401, 415)},
    )
    def patch(self, request):
        update = serializers.MeUpdateSerializer(data=request.data)
        update.is_valid(raise_exception=True)
        services.profile_update(user=request.user, **update.validated_data)
        return Response(serializers.MeSerializer(request.user).data)
