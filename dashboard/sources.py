"""The other apps' query functions, looked up lazily: a panel whose app has not shipped its
query yet shows "not available" instead of taking the whole dashboard down."""

import importlib
from collections.abc import Callable

from django.core.cache import cache

CACHE_SECONDS = 30


def query(app: str, name: str) -> Callable | None:
    try:
        module = importlib.import_module(f"{app}.queries")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.queries":
            raise
        return None
    return getattr(module, name, None)


def call(app: str, name: str, *args, **kwargs):
    function = query(app, name)
    return None if function is None else function(*args, **kwargs)


def cached(key: str, compute: Callable):
    """Each range's data is computed at most once per 30 s, however many admins look."""
    key = f"dashboard:v1:{key}"
    hit = cache.get(key)
    if hit is None:
        hit = (compute(),)  # a tuple, so a computed None is cached too
        cache.set(key, hit, CACHE_SECONDS)
    return hit[0]
