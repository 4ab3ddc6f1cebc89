"""POST /api/v1/feedback/: the public widget endpoint (SPEC section 4).

Anonymous posts come from other origins, carry a site key and no cookies; the site key is
public, so the Origin allow-list, the rate limit and the bot traps do the protecting. Signed-in
users of this site post with their session, and DRF's SessionAuthentication enforces CSRF then.
"""

import ipaddress

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import ratelimit, spam
from feedback.models import Feedback, FeedbackSite
from feedback.parsers import FeedbackJSONParser
from feedback.serializers import FeedbackInSerializer, FeedbackOutSerializer
from monitoring_site.api import error
from monitoring_site.api_keys import ApiKeyAuthentication
from monitoring_site.lib.text import clip
from monitoring_site.models import ApiKey
from monitoring_site.roles import ADMIN, MODERATOR, has_role


class Forbidden(Exception):
    pass


def _site_for(request, site_key: str) -> FeedbackSite | None:
    """Return the site this request may post to (None: this site's own signed-in user), or raise Forbidden."""
    if not site_key and request.user.is_authenticated:
        return None
    site = FeedbackSite.objects.filter(public_key=site_key, is_active=True).first() if site_key else None
    if site is None:
        raise Forbidden("Unknown or inactive site key.")
    origin = request.headers.get("Origin", "")
    if not site.allows_origin(origin):
        raise Forbidden(f"Origin {origin or '(none)'} is not allowed for this site key.")
    return site


def _address(request) -> str | None:
    value = ratelimit.client_address(request)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _rate_scopes(request, site) -> list:
    if site is None:
        return [(f"user:{request.user.pk}", ratelimit.client_limits())]
    address = ratelimit.client_address(request)
    return [(f"site:{site.pk}:{address}", ratelimit.client_limits()), (f"site:{site.pk}", ratelimit.site_limits())]


def _create(request, site, data: dict, reason: str) -> Feedback:
    user = request.user if request.user.is_authenticated else None
    return Feedback.objects.create(
        site=site,
        user=user,
        message=data["message"],
        category=data["category"],
        priority=data["priority"],
        status=Feedback.Status.SPAM if reason else Feedback.Status.PENDING,
        spam_reason=reason,
        email=data["email"] or (user.email if user else ""),
        page_url=data["page_url"],
        external_user_id=data["user_id"],
        trace_id=data["trace_id"],
        viewport=data["viewport"],
        metadata=data["metadata"],
        user_agent=clip(request.headers.get("User-Agent", ""), 512),
        client_address=_address(request),
    )


class FeedbackPagination(CursorPagination):
    ordering = "-created_at"
    page_size = 100


FILTERS = {"status": Feedback.Status, "category": Feedback.Category, "priority": Feedback.Priority}


def _list_feedback(request):
    """GET for `feedback:read` keys and Admin/Moderator sessions: feedback newest first, spam
    only when asked for with ?status=spam; filters status, category, priority, site (name)."""
    items = Feedback.objects.select_related("site", "assignee")
    errors = {}
    for name, choices in FILTERS.items():
        value = request.query_params.get(name)
        if value is None:
            continue
        if value not in choices.values:
            errors[name] = [f"Choose one of {', '.join(choices.values)}."]
        items = items.filter(**{name: value})
    if errors:
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if "status" not in request.query_params:
        items = items.exclude(status=Feedback.Status.SPAM)
    if site := request.query_params.get("site"):
        items = items.filter(site__name=site)
    paginator = FeedbackPagination()
    page = paginator.paginate_queryset(items, request)
    return paginator.get_paginated_response(FeedbackOutSerializer(page, many=True).data)


def _may_read(request) -> bool:
    if isinstance(request.auth, ApiKey):
        if "feedback:read" not in request.auth.scopes:
            raise PermissionDenied("API key lacks the scope 'feedback:read'.")
        return True
    return request.user.is_staff and has_role(request.user, ADMIN, MODERATOR) and "site_key" not in request.query_params


class FeedbackView(APIView):
    """GET: a render token for the widget, or (feedback:read key, Admin/Moderator session) the
    feedback list. POST: submit feedback (201 even for trapped bots)."""

    # APIView is csrf_exempt; SessionAuthentication re-applies CSRF to cookie-authenticated posts.
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [FeedbackJSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("site_key", str, required=True)],
        responses={200: inline_serializer("FeedbackToken", {"token": serializers.CharField()})},
        auth=[],
    )
    def get(self, request):
        if _may_read(request):
            return _list_feedback(request)
        try:
            site = _site_for(request, request.query_params.get("site_key", ""))
        except Forbidden as exc:
            return error(str(exc), status.HTTP_403_FORBIDDEN)
        return Response({"token": spam.render_token(site.public_key) if site else ""})

    @extend_schema(
        request=FeedbackInSerializer,
        responses={
            201: inline_serializer(
                "FeedbackCreated", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            )
        },
        auth=[],
    )
    def post(self, request):
        if isinstance(request.auth, ApiKey):
            return error("Feedback is posted with a site key, not a service API key.", status.HTTP_403_FORBIDDEN)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            site = _site_for(request, str(data.get("site_key") or ""))
        except Forbidden as exc:
            return error(str(exc), status.HTTP_403_FORBIDDEN)
        wait = ratelimit.retry_after(_rate_scopes(request, site))
        if wait is not None:
            return error(f"Too much feedback; retry in {wait} s.", 429, Retry_After=str(wait))
        serializer = FeedbackInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = spam.spam_reason(serializer.validated_data, site, request.user, check_token=site is not None)
        item = _create(request, site, serializer.validated_data, reason)
        return Response({"id": item.pk, "status": Feedback.Status.PENDING}, status=status.HTTP_201_CREATED)
