"""Pause the cyclic garbage collector around one ingest batch (metrics, spans)."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch.

    A 1,000-item batch allocates thousands of dicts, which triggers collections that walk every
    live object of the process: measured at about two thirds of the validation time. Nothing here
    creates reference cycles, and collection resumes right after the batch.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
