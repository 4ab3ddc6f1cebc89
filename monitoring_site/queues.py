"""Celery queue depth, read from the broker itself (Redis lists or the filesystem transport)."""

from pathlib import Path

from django.conf import settings

# Every queue a task may be routed to (settings.CELERY_TASK_ROUTES); the Procfile worker takes all.
QUEUES = ("celery", "ingest", "evaluation", "notifications", "reports", "retention")


def queue_depths() -> dict[str, int]:
    """Return the number of messages waiting in each of our queues; raise if the broker is down."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        counts = dict.fromkeys(QUEUES, 0)
        for message in folder.glob("*.msg"):
            # kombu names files "<timestamp>_<uuid>.<queue>.msg"
            parts = message.name.split(".")
            queue = parts[-2] if len(parts) >= 3 else "celery"
            counts[queue] = counts.get(queue, 0) + 1
        return counts
    from monitoring_site.celery import app

    with app.connection_for_read() as conn:
        channel = conn.default_channel
        return {queue: _depth(channel, queue) for queue in QUEUES}


def _depth(channel, queue: str) -> int:
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:
        return 0
