"""One Transport per channel kind, on a shared base: a new kind is a copy of the closest one.

A transport turns a Notice into a request and classifies the answer: 2xx ok; 429, 5xx, timeouts
and connection errors retryable (429 with its Retry-After); any other 4xx or 3xx permanent.
"""

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail

from alerts.models import Alert, NotificationChannel, NotificationDelivery
from monitoring_site.lib import outbound

EMOJI = {"critical": "🔴", "warning": "🟠", "info": "🔵", "resolved": "✅"}


@dataclass
class Notice:
    event: str  # firing | resolved | test
    alert: Alert
    fields: dict = field(default_factory=dict)

    @classmethod
    def for_delivery(cls, delivery: NotificationDelivery) -> "Notice":
        if delivery.alert_id is None:
            from alerts.notify import alert_for_test

            alert = alert_for_test(delivery.channel)
            return cls("test", alert, alert.as_payload())
        alert = Alert.objects.select_related("rule", "acknowledged_by").get(pk=delivery.alert_id)
        if delivery.transition_id:  # the alert as it was at the transition, not as it is now
            t = delivery.transition
            alert.severity, alert.value, alert.threshold = t.severity, t.value, t.threshold
            alert.state = "resolved" if t.to_state == "resolved" else "firing"
        return cls(delivery.event, alert, alert.as_payload())

    @property
    def title(self) -> str:
        a = self.alert
        if self.event == "resolved":
            return f"{EMOJI['resolved']} RESOLVED: {a.rule.name}"
        prefix = "TEST " if self.event == "test" else ""
        return f"{EMOJI.get(a.severity, '')} {prefix}{a.severity.upper()}: {a.rule.name}"

    @property
    def text(self) -> str:
        a = self.alert
        link = f"{settings.SITE_URL}/admin/alerts/alert/{a.pk}/change/" if a.pk else settings.SITE_URL
        return f"{self.title}\n{a.message}\nvalue {a.value} (threshold {a.threshold}) since {a.started_at:%Y-%m-%d %H:%M} UTC\n{link}"


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    permanent: bool = False
    retry_after: float | None = None


class Transport(ABC):
    """POST a JSON body to the channel's URL through the SSRF-safe helper."""

    def __init__(self, channel: NotificationChannel):
        self.channel = channel

    def url(self) -> str:
        return self.channel.target

    @abstractmethod
    def body(self, notice: Notice) -> dict:
        """The JSON payload this kind of receiver expects."""

    def headers(self, raw: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json"}

    def send(self, notice: Notice) -> Outcome:
        return self.post(self.body(notice))

    def post(self, payload: dict) -> Outcome:
        raw = json.dumps(payload, default=str).encode()
        try:
            response = outbound.post(self.url(), raw, self.headers(raw))
        except outbound.BlockedURL as exc:
            return Outcome(False, error=f"blocked: {exc}", permanent=True)
        except OSError as exc:  # includes timeouts
            return Outcome(False, error=str(exc)[:500])
        return self.classify(response)

    def classify(self, response: outbound.Response) -> Outcome:
        code = response.status
        if 200 <= code < 300:
            return Outcome(True, code)
        error = f"HTTP {code}: {response.body[:300].decode('utf-8', 'replace')}"
        if code == 429:
            return Outcome(False, code, error, retry_after=_retry_after(response.headers.get("retry-after")))
        if code >= 500:
            return Outcome(False, code, error)
        if 300 <= code < 400:
            error = f"HTTP {code}: redirects are not followed"
        return Outcome(False, code, error, permanent=True)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


class EmailTransport(Transport):
    def body(self, notice: Notice) -> dict:
        return {"subject": notice.title, "text": notice.text}

    def send(self, notice: Notice) -> Outcome:
        recipients = [a.strip() for a in self.channel.target.split(",") if a.strip()]
        try:
            send_mail(notice.title, notice.text, settings.DEFAULT_FROM_EMAIL, recipients)
        except Exception as exc:  # SMTP errors of every kind are worth a retry
            return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(True)


class SlackTransport(Transport):
    def body(self, notice: Notice) -> dict:
        return self.text_body(notice.text)

    def text_body(self, text: str) -> dict:
        return {"text": text}


class DiscordTransport(Transport):
    def body(self, notice: Notice) -> dict:
        return self.text_body(notice.text)

    def text_body(self, text: str) -> dict:
        return {"content": text[:2000]}  # Discord's message limit


class PagerDutyTransport(Transport):
    """Events API v2: trigger and resolve share a dedup_key per rule, so they close one incident."""

    def url(self) -> str:
        return settings.PAGERDUTY_EVENTS_URL

    def body(self, notice: Notice) -> dict:
        alert = notice.alert
        body = {
            "routing_key": self.channel.target,
            "event_action": "resolve" if notice.event == "resolved" else "trigger",
            "dedup_key": dedup_key(alert),
        }
        if notice.event != "resolved":
            body["payload"] = {
                "summary": notice.title[:1024],
                "source": settings.SITE_URL,
                "severity": alert.severity if alert.severity in ("critical", "warning", "info") else "error",
                "timestamp": alert.started_at.isoformat(),
                "component": alert.rule.metric,
                "custom_details": notice.fields,
            }
            body["links"] = [{"href": f"{settings.SITE_URL}/admin/alerts/alert/{alert.pk}/change/", "text": "Alert"}]
        return body

    def send(self, notice: Notice) -> Outcome:
        outcome = super().send(notice)
        if notice.event == "test" and outcome.ok:  # close the test incident at once: nobody stays paged
            resolve = {
                "routing_key": self.channel.target,
                "event_action": "resolve",
                "dedup_key": dedup_key(notice.alert),
            }
            self.post(resolve)
        return outcome


def dedup_key(alert: Alert) -> str:
    key = f"monitoring-rule-{alert.rule_id or 'test'}"
    return f"{key}-{alert.group_key}"[:255] if alert.group_key else key


class WebhookTransport(Transport):
    def body(self, notice: Notice) -> dict:
        return {"event": notice.event, "alert": notice.fields}

    def headers(self, raw: bytes) -> dict[str, str]:
        headers = super().headers(raw)
        if self.channel.secret:
            headers["X-Signature-256"] = "sha256=" + sign(self.channel.secret, raw)
        return headers


def sign(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


TRANSPORTS: dict[str, type[Transport]] = {
    NotificationChannel.Kind.EMAIL: EmailTransport,
    NotificationChannel.Kind.SLACK: SlackTransport,
    NotificationChannel.Kind.DISCORD: DiscordTransport,
    NotificationChannel.Kind.PAGERDUTY: PagerDutyTransport,
    NotificationChannel.Kind.WEBHOOK: WebhookTransport,
}


def transport_for(channel: NotificationChannel) -> Transport:
    return TRANSPORTS[channel.kind](channel)
