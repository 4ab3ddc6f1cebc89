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


# JSON text can carry a surrogate only as an escape \uD800-\uDFFF (UTF-8 input cannot encode one).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# A valid pair; Python's json.dumps sends every emoji as one, so a batch of them must stay cheap.
_SURROGATE_PAIR_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_CONTAINERS = (dict, list)
_PATH_CHARS = 120


def _deeper_than(value, levels: int) -> bool:
    """Whether arrays/objects nest more than `levels` below `value` (a dict or list).

    Only containers are followed and nothing is built. It runs only for bodies with more than
    API_MAX_JSON_DEPTH brackets, i.e. batches, and costs about as much as their parse (500 events:
    1.5 ms -> 3.0 ms, best of 15 on the shared machine at load 8); the full walk below cost ~3x.
    """
    if levels < 0:
        return True
    for child in value.values() if type(value) is dict else value:
        if type(child) in _CONTAINERS and _deeper_than(child, levels - 1):
            return True
    return False


def _may_hold_lone_surrogate(body: bytes) -> bool:
    """False when no surrogate escape is left once the valid pairs are taken out (or none was there).

    True may be a false alarm (text such as \\\\ud800 with an escaped backslash): the walk decides.
    """
    if not _SURROGATE_ESCAPE.search(body):
        return False
    # An escaped backslash before "u" (the text \\ud83d) can fake half of a pair: walk then.
    return b"\\\\u" in body or bool(_SURROGATE_ESCAPE.search(_SURROGATE_PAIR_ESCAPE.sub(b"", body)))


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
        problem = json_problem(data, body)
        if problem is not None:
            raise exceptions.ParseError(problem)
        return data


def json_problem(data, body: bytes) -> str | None:
    """The first too-deep nesting, NUL or lone surrogate in `data` (parsed from `body`), worded
    for a 400, or None. Every JSON body we read passes this, also those decoded outside DRF."""
    depth = settings.API_MAX_JSON_DEPTH
    # Cheap tests first (byte scans; the depth follows containers only, and only for bodies
    # with enough brackets); the walk that names the place runs only when one of them hits.
    deep = body.count(b"[") + body.count(b"{") > depth and type(data) in _CONTAINERS and _deeper_than(data, depth - 1)
    if deep or b"\\u0000" in body or _may_hold_lone_surrogate(body):
        problem = _first_problem(data, "", depth)
        if problem is not None:
            where, what = problem
            return f"{what}: {_printable(where) or 'body'}."
    return None


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
