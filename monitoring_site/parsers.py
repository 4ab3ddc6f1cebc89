"""Request parsing with a hard body-size cap (kept apart from api.py: DRF settings import it)."""

import io

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class LimitedJSONParser(JSONParser):
    """JSONParser that reads at most API_MAX_BODY_BYTES, also for chunked bodies."""

    def max_bytes(self) -> int:
        return settings.API_MAX_BODY_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        limit = self.max_bytes()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        # JSON can only carry NUL as the escape \u0000; PostgreSQL stores no NUL in text or jsonb,
        # so such a value would fail at INSERT time as a 500. The byte scan keeps the walk rare.
        if b"\\u0000" in body:
            where = _nul_path(data, "")
            if where is not None:
                where = where.replace("\x00", "\\u0000") or "body"
                raise exceptions.ParseError(
                    f"NUL (\\u0000) characters are not allowed in JSON strings or keys: {where}."
                )
        return data


def _nul_path(value, path: str) -> str | None:
    """Where the first NUL character is (e.g. "[3].metadata.key"), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip(".")
        if isinstance(key, str) and "\x00" in key:
            return here
        found = _nul_path(item, here)
        if found is not None:
            return found
    return None
