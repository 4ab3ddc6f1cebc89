"""Cutting stored free text to its column: one marker, so a reader can tell a cut from an end."""

TRUNCATED = "…"  # U+2026, the last character of every value we shortened


def clip(text: str, limit: int) -> str:
    """Return text unchanged if it fits in `limit` characters, else its start ending in TRUNCATED."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED)] + TRUNCATED
