"""Request parsing with a hard body-size cap (kept apart from api.py: DRF settings import it).

Every JSON body also passes three checks that the endpoints then need not repeat (each was a 500
before, issue 13): nesting no deeper than API_MAX_JSON_DEPTH, no NUL character and no lone UTF-16
surrogate in any string or key. The answer is a 400 naming where, e.g. "[3].metadata.key".
"""

import io
import re

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


# JSON text can carry a surrogate only as an escape \uD800-\uDFFF (UTF-8 input cannot encode one);
# valid pairs (escaped emoji) also match, so a match only means "walk and look".
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_PATH_CHARS = 120


class LimitedJSONParser(JSONParser):
    """JSONParser that reads at most API_MAX_BODY_BYTES, also for chunked bodies."""

    def max_bytes(self) -> int:
        return settings.API_MAX_BODY_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        limit = self.max_bytes()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        depth = settings.API_MAX_JSON_DEPTH
        # A view may decode and validate its body in one pass (e.g. ailogs.ingest.decode_valid),
        # for bodies the byte scans below find nothing in; None from it means "decode as usual",
        # so every error is still worded here or by the view's field checks.
        fast = getattr((parser_context or {}).get("view"), "decode_valid", None)
        if fast is not None and b"\\u0000" not in body and not _SURROGATE_ESCAPE.search(body):
            valid = fast(body)
            if valid is not None:
                return valid
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            # json's C scanner gives up near the interpreter's recursion limit (~1,000 levels).
            raise exceptions.ParseError(f"JSON nested deeper than {depth} levels.") from None
        # The walk costs a pass over the parsed body, so it runs only when a byte scan says it
        # could find something: a single ingest event never pays for it.
        if b"\\u0000" in body or _SURROGATE_ESCAPE.search(body) or body.count(b"[") + body.count(b"{") > depth:
            problem = _first_problem(data, "", depth)
            if problem is not None:
                where, what = problem
                raise exceptions.ParseError(f"{what}: {_printable(where) or 'body'}.")
        return data


def _first_problem(value, path: str, levels_left: int) -> tuple[str, str] | None:
    """(where, what) of the first NUL, lone surrogate or too-deep nesting in a parsed body, or None."""
    if isinstance(value, str):
        return _bad_text(value, path)
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    if levels_left <= 0:
        return path, f"JSON nested deeper than {settings.API_MAX_JSON_DEPTH} levels at"
    for key, item in items:
        here = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip(".")
        if isinstance(key, str) and (found := _bad_text(key, here)) is not None:
            return found
        if isinstance(item, (str, dict, list)) and (found := _first_problem(item, here, levels_left - 1)) is not None:
            return found
    return None


def _bad_text(text: str, path: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return path, "NUL (\\u0000) characters are not allowed in JSON strings or keys"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # PostgreSQL stores UTF-8 only and Python refuses to encode a lone surrogate: a 500 later.
        return (
            path,
            "Lone UTF-16 surrogates (\\ud800-\\udfff without their pair) are not allowed in JSON strings or keys",
        )
    return None


def _printable(path: str) -> str:
    """The path as it can be shown in an error (its own NULs and surrogates escaped), shortened."""
    shown = path.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")
    return shown if len(shown) <= _PATH_CHARS else shown[:_PATH_CHARS] + "…"
