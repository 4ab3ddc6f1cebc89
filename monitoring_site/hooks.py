"""Per-app hooks that the project-wide commands fan out to.

An app takes part by defining a module with one function:
- `<app>/defaults.py`: `install(stdout) -> None` (setup_defaults; idempotent),
- `<app>/demo.py`: `seed(days: int, events: int, stdout) -> None` (seed_demo),
- `<app>/retention.py`: `purge(dry_run: bool) -> dict[str, int]` (purge_expired; rows per table).
"""

import importlib

APPS = ("monitoring_site", "ailogs", "metrics", "feedback", "alerts", "checks", "incidents", "dashboard", "traces")


def modules(name: str):
    for app in APPS:
        try:
            yield app, importlib.import_module(f"{app}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{name}":
                raise
