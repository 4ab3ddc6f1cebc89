"""Sentry set-up and the before_send scrubber (keys at any depth, our key format in strings)."""

import re

SCRUBBED = "[Filtered]"
SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[-_]?key|apikey|auth|credential|cookie|session|csrf|xsrf|"
    r"private[-_]?key|signature|webhook|dsn|x[-_]forwarded[-_]for|x[-_]real[-_]ip|remote[-_]addr|ip[-_]address",
    re.IGNORECASE,
)
SECRET_VALUES = (
    re.compile(r"msk_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}"),  # our service API keys
    re.compile(r"pk_[A-Za-z0-9_-]{16,}"),  # feedback site keys
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"https://hooks\.slack\.com/\S+|https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\S+"),
)


def scrub_string(value: str) -> str:
    for pattern in SECRET_VALUES:
        value = pattern.sub(SCRUBBED, value)
    return value


def scrub(value, depth: int = 0):
    """Return a copy of value with sensitive keys filtered and secrets in strings redacted."""
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {
            k: SCRUBBED if isinstance(k, str) and SENSITIVE_KEY.search(k) else scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and isinstance(value[0], str) and SENSITIVE_KEY.search(value[0]):
            return [value[0], SCRUBBED]  # header pairs: ["Authorization", "Bearer ..."]
        return [scrub(v, depth + 1) for v in value]
    if isinstance(value, str):
        return scrub_string(value)
    return value


def before_send(event, hint):
    return scrub(event)


def init_sentry(dsn: str, environment: str, traces_sample_rate: float, release: str) -> bool:
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        before_send=before_send,
        before_send_transaction=before_send,
    )
    return True
