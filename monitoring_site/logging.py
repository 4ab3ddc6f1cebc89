"""Request context for log lines and the one-JSON-object-per-line formatter."""

import contextvars
import logging

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("user_id", default=None)


class ClientErrorWithoutTraceback(logging.Filter):
    """Keep django.request's one-line warning for a 4xx but drop its traceback: a refused page
    (403, 404) is the client's business, and 25 lines each buried the run log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class RequestContextFilter(logging.Filter):
    """Attach the current request id and user id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """timestamp, level, logger, message, module, function, line, request_id, user_id, duration_ms."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["module"] = record.module
        log_record["function"] = record.funcName
        log_record["line"] = record.lineno
        log_record["request_id"] = getattr(record, "request_id", request_id_var.get())
        log_record["user_id"] = getattr(record, "user_id", user_id_var.get())
        for noisy in ("request", "server_time", "status_code"):
            log_record.pop(noisy, None)
