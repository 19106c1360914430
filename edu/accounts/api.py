"""API tokens (django-rest-knox): stored as hashes, with an expiry, listed and
revoked by their owner; every token of a user dies when the password changes."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import selectors, services

TokenResponse = inline_serializer(
    "Token", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
)
ERROR = inline_serializer("TokenError", {"detail": serializers.CharField()})


class TokenInfoSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="token_key", help_text="The token's first characters.")

    class Meta:
        model = AuthToken
        fields = ["id", "created", "expiry"]
        read_only_fields = fields


class TokenView(APIView):
    """Get a token with a username and password; revoke the one in use when done."""

    throttle_scope = "token"

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        request=AuthTokenSerializer,
        auth=[],
        responses={
            200: TokenResponse,
            400: OpenApiResponse(description="Wrong or missing credentials: field messages."),
            429: OpenApiResponse(ERROR, description="Too many attempts, or locked out."),
        },
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False) or getattr(
            request._request, "axes_locked_out", False
        ):
            # django-axes locked this username and address out (see AXES_* settings).
            raise Throttled(
                wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                detail="Too many failed logins for this account from your address.",
            )
        if not valid:
            raise ValidationError(serializer.errors)
        instance, token = services.issue_token(user=serializer.validated_data["user"])
        return Response({"token": token, "expiry": instance.expiry})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(APIView):
    """The signed-in user's live tokens (never the secret itself)."""

    @extend_schema(responses={200: TokenInfoSerializer(many=True)})
    def get(self, request):
        return Response(TokenInfoSerializer(selectors.live_tokens(request.user), many=True).data)


class TokenDetailView(APIView):
    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse(ERROR)})
    def delete(self, request, token_id):
        if not services.revoke_token(user=request.user, key=token_id):
            raise NotFound("No such token.")
        return Response(status=status.HTTP_204_NO_CONTENT)

