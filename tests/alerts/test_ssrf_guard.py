"""W1/W2 of docs reliability plan: private destinations are refused at save and at connect."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts import notify
from alerts.models import NotificationDelivery
from monitoring_site.lib import outbound

W1_CORPUS = [
    "https://127.0.0.1/",
    "https://localhost/",
    "https://0.0.0.0/",
    "https://[::1]/",
    "https://[::]/",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.100.100.200/",
    "https://100.64.0.1/",
    "https://10.0.0.1/",
    "https://172.16.0.1/",
    "https://192.168.1.1/",
    "https://198.18.0.1/",
    "https://224.0.0.1/",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:7f00:1::]/",
    "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "http://hooks.slack.com@127.0.0.1/",
    "https://hooks.slack.com@127.0.0.1/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "https://example.com:5432/",
    "https://example.com:6379/",
    "https://example.com:0/",  # port 0 once read as "no port", i.e. 443
    "https://127.0.0.1.nip.io/",
    "http://127.0.0.1:8080/",
]


@pytest.fixture
def guarded(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = False


@pytest.mark.django_db
@pytest.mark.parametrize("url", W1_CORPUS)
def test_it_refuses_a_private_or_odd_url_at_save_with_a_clear_400(api_client, guarded, url):
    response = api_client("alerts:write").post(
        "/api/v1/notification-channels/", {"name": "evil", "kind": "webhook", "target": url}, format="json"
    )
    assert response.status_code == 400
    assert "not allowed" in response.json()["target"][0]


@pytest.mark.parametrize(
    "address", ["100.64.0.1", "100.100.100.200", "64:ff9b::a9fe:a9fe", "::ffff:10.0.0.1", "2002:a00:1::", "fc00::1"]
)
def test_is_public_sees_through_what_ipaddress_misses(address):
    assert not outbound.is_public(address)


def test_public_addresses_pass():
    assert outbound.is_public("93.184.216.34") and outbound.is_public("2606:2800:220:1:248:1893:25c8:1946")


def test_it_refuses_when_any_resolved_address_is_private(guarded, monkeypatch):
    """DNS rebinding: a name answering a public and a private address is refused as a whole."""

    def fake(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("93.184.216.34", "127.0.0.1")]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)
    with pytest.raises(outbound.BlockedURL, match="127.0.0.1"):
        outbound.post("https://rebind.example/", b"{}", {})


def _no_dns(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fail)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["slack", "discord", "webhook"])
def test_an_unresolvable_name_is_accepted_at_save_and_refused_at_connect(api_client, guarded, monkeypatch, kind):
    """No DNS while saving must not block configuration; the connect-time guard never fails open."""
    _no_dns(monkeypatch)
    url = "https://hooks.slack.com/services/T000/B000/token"
    response = api_client("alerts:write").post(
        "/api/v1/notification-channels/", {"name": kind, "kind": kind, "target": url}, format="json"
    )
    assert response.status_code == 201, response.json()
    delivery = NotificationDelivery.objects.create(channel_id=response.json()["id"], event="test")
    notify.attempt(delivery.pk, retries_left=3)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "cannot resolve hooks.slack.com" in delivery.error
    with pytest.raises(outbound.BlockedURL, match="cannot resolve"):
        outbound.post(url, b"{}", {})


@pytest.mark.parametrize("url", W1_CORPUS)
def test_the_corpus_is_refused_at_save_even_without_dns(guarded, monkeypatch, url):
    """Without DNS the W1 corpus must still be refused: literals and loopback names need no lookup."""
    _no_dns(monkeypatch)
    with pytest.raises(outbound.BlockedURL):
        outbound.check_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://10-0-0-1.sslip.io/", "https://app.localtest.me/", "https://x.localhost/", "https://[::ffff:7f00:1]/"],
)
def test_loopback_names_and_embedded_private_addresses_are_refused_without_dns(guarded, monkeypatch, url):
    _no_dns(monkeypatch)
    with pytest.raises(outbound.BlockedURL, match="loopback|private"):
        outbound.check_url(url)


def test_a_name_that_resolves_to_a_private_address_is_refused_at_save(guarded, monkeypatch):
    def fake(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)
    with pytest.raises(outbound.BlockedURL, match="10.1.2.3"):
        outbound.check_url("https://internal.example.com/hook")


def test_public_literals_and_names_pass_at_save(guarded, monkeypatch):
    def fake(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)
    outbound.check_url("https://93.184.216.34/hook")
    outbound.check_url("https://hooks.slack.com/services/x")
    outbound.check_url("https://ec2-54-1-2-3.compute.example.com/hook")


@pytest.mark.django_db
def test_a_hostname_resolving_to_loopback_is_refused_at_connect_time(receiver, make_rule, make_channel, settings):
    channel = make_channel(f"https://localhost:{receiver.port}/hook")  # saved before the guard was on
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = False
    delivery = NotificationDelivery.objects.create(channel=channel, event="test")
    notify.attempt(delivery.pk, retries_left=3)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "blocked" in delivery.error
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_redirect_is_never_followed(receiver, make_channel):
    receiver.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    delivery = NotificationDelivery.objects.create(channel=make_channel(receiver.url()), event="test")
    notify.attempt(delivery.pk, retries_left=3)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.status_code) == ("failed", 302)
    assert "redirects are not followed" in delivery.error
    assert len(receiver.requests) == 1


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/hang":  # no answer at all
            time.sleep(5)
            return
        self.send_response(200)
        self.end_headers()
        if self.path == "/big":
            self.wfile.write(b"x" * 1_000_000)
            return
        for _ in range(50):  # one byte every 0.3 s: each read is quick, the whole never ends
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.3)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server(settings):
    settings.NOTIFY_ALLOW_PRIVATE_NETWORKS = True
    for port in range(8450, 8500):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _Slow)
            break
        except OSError:
            continue
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_dripping_receiver_is_cut_off_at_the_deadline(slow_server, monkeypatch):
    monkeypatch.setattr(outbound, "DEADLINE", 1.0)
    with pytest.raises(OSError, match="no complete response within 1 s"):
        outbound.post(f"{slow_server}/drip", b"{}", {})


def test_it_reads_at_most_64_kb(slow_server):
    response = outbound.post(f"{slow_server}/big", b"{}", {})
    assert response.status == 200 and len(response.body) == outbound.MAX_BODY


def test_a_receiver_that_never_answers_is_cut_off_at_the_deadline(slow_server, monkeypatch):
    monkeypatch.setattr(outbound, "DEADLINE", 1.0)
    with pytest.raises(OSError, match="no complete response within 1 s"):
        outbound.post(f"{slow_server}/hang", b"{}", {})
