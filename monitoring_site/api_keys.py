"""Service API keys: `Authorization: Bearer msk_...` authentication and the scope permission."""

import hmac
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from rest_framework import authentication, exceptions, permissions

from monitoring_site.models import KEY_PREFIX, ApiKey, hash_key
from monitoring_site.roles import ADMIN, MODERATOR, has_role


@dataclass
class _CachedKey:
    key: ApiKey
    fetched: float
    touched: float = field(default=0.0)


class _KeyCache:
    """Per-process cache of verified keys, so auth costs one dict lookup, not a query.

    Kept in process memory on purpose: ingest must not depend on Redis. A revoked key stops
    working in this process at once and in the others within API_KEY_CACHE_SECONDS.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _CachedKey] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> _CachedKey | None:
        entry = self._entries.get(digest)
        if entry and time.monotonic() - entry.fetched < settings.API_KEY_CACHE_SECONDS:
            return entry
        return None

    def put(self, digest: str, key: ApiKey) -> _CachedKey:
        entry = _CachedKey(key=key, fetched=time.monotonic())
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = entry
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


key_cache = _KeyCache()


def lookup_key(raw: str) -> ApiKey | None:
    """Return the usable key for a raw key string, or None."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 128:
        return None
    digest = hash_key(raw)
    entry = key_cache.get(digest)
    if entry is None:
        prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.hashed_key, digest):
            return None
        entry = key_cache.put(digest, key)
    if not entry.key.is_active:
        return None
    now = time.monotonic()
    if now - entry.touched > 60:
        entry.touched = now
        entry.key.touch()
    return entry.key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():  # RFC 9110: the scheme is case-insensitive
            return None
        key = lookup_key(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        return (ServiceUser(key), key)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ServiceUser:
    """The request.user of a service authenticated by key: not a person, never staff."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.username = f"key:{key.name}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def get_username(self) -> str:
        return self.username


# Which roles a signed-in staff user needs to use a scope through the session (SPEC section 2).
SESSION_ROLES: dict[str, tuple[str, ...]] = {
    "ailogs:read": (ADMIN,),
    "ailogs:write": (ADMIN,),
    "metrics:read": (ADMIN,),
    "metrics:write": (ADMIN,),
    "feedback:read": (ADMIN, MODERATOR),
    "alerts:read": (ADMIN, MODERATOR),
    "alerts:write": (ADMIN,),
    "traces:write": (ADMIN,),
}


class HasScope(permissions.BasePermission):
    """Allow a key that carries the view's scope, or a staff user whose role grants it.

    A view sets `required_scopes = {"GET": "ailogs:read", "POST": "ailogs:write"}` (methods not
    listed are denied; a tuple of scopes means any one of them) and may widen the session roles
    with `session_roles = {scope: roles}`.
    Views without `required_scopes` must set their own permission classes.
    """

    message = "This key or user may not do this."

    def has_permission(self, request, view) -> bool:
        scopes = getattr(view, "required_scopes", None)
        if scopes is None:
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        scope = scopes.get(method)
        if scope is None:
            if request.method.lower() not in getattr(view, "http_method_names", ()) or not hasattr(
                view, request.method.lower()
            ):
                raise exceptions.MethodNotAllowed(request.method)
            return False
        accepted = scope if isinstance(scope, tuple) else (scope,)
        if isinstance(request.auth, ApiKey):
            if not any(s in request.auth.scopes for s in accepted):
                self.message = f"API key lacks the scope {' or '.join(map(repr, accepted))}."
                return False
            return True
        user = request.user
        if not (user and user.is_authenticated):
            raise exceptions.NotAuthenticated()
        session_roles = {**SESSION_ROLES, **getattr(view, "session_roles", {})}
        roles = {role for s in accepted for role in session_roles.get(s, (ADMIN,))}
        return bool(user.is_staff) and has_role(user, *roles)


class IsServiceKey(permissions.BasePermission):
    """Any valid service key, whatever its scopes."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        raise exceptions.NotAuthenticated("A service API key is required.")
