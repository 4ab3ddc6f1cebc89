"""The JSON parser's three refusals hold for any document (hypothesis), however it is written."""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from monitoring_site.parsers import LimitedJSONParser

# Text rich in what the parser's byte scans look at: brackets, quotes, backslashes, "u" escapes.
TRICKY = st.text(
    alphabet=st.sampled_from(list('[]{}"\\u0dD8cf') + ["\ud83d", "\ude00", "\ud800", "\x00", "é"]), max_size=12
)
TEXT = st.text(max_size=8) | TRICKY
LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT


def nested(depth: int):
    return st.recursive(
        LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=depth
    )


DOCUMENTS = nested(40) | st.integers(1, 60).flatmap(lambda n: nested(4).map(lambda leaf: _wrap(leaf, n)))


def _wrap(value, levels: int):
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _bad_text(value) -> bool:
    def bad(text: str) -> bool:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return "\x00" in text

    return any(bad(text) for text in _strings(value))


@pytest.mark.parametrize("ensure_ascii", [True, False])
@settings(max_examples=150, deadline=None)
@given(document=DOCUMENTS)
def test_it_refuses_exactly_the_too_deep_and_the_bad_text(ensure_ascii, document):
    if not ensure_ascii and _bad_text(document) and any(_has_lone(t) for t in _strings(document)):
        return  # a lone surrogate cannot be written as UTF-8 at all: only the escaped form reaches us
    body = json.dumps(document, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
    meant = json.loads(body)  # what the text says: "\\ud800\\ude00" is one character, not two halves
    refused = _depth(meant) > 32 or _bad_text(meant)
    try:
        parsed = LimitedJSONParser().parse(io.BytesIO(body))
    except ParseError:
        assert refused, body[:300]
    else:
        assert not refused, body[:300]
        assert parsed == meant


def _has_lone(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
