import pytest

from ailogs.pricing import clear_cache


@pytest.fixture(autouse=True)
def _fresh_prices():
    """The price book is cached per process; each test starts from its own price table."""
    clear_cache()
    yield
    clear_cache()
