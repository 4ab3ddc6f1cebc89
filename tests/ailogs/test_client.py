"""The Python client against a live server, through a proxy that misbehaves on purpose."""

import importlib.util
import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ailogs.models import AiCall
from monitoring_site.models import ApiKey

CLIENT_PATH = Path(__file__).resolve().parents[2] / "clients" / "python" / "ai_monitoring_client.py"
spec = importlib.util.spec_from_file_location("ai_monitoring_client", CLIENT_PATH)
aimon = importlib.util.module_from_spec(spec)
spec.loader.exec_module(aimon)


class RecordingClient(aimon.Client):
    """Records the delays it asks for instead of sleeping them (no timing in tests)."""

    def __init__(self, *args, **kwargs):
        self.delays = []
        super().__init__(*args, **kwargs)

    def _wait(self, seconds):
        self.delays.append(seconds)


class Proxy:
    """Forward to the live server, after playing a script: "503", "429", "lose" (forward, then 502)."""

    def __init__(self, upstream: str, script: list[str]):
        self.script = list(script)
        self.seen_ids: list[list[str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.seen_ids.append([e["event_id"] for e in json.loads(body)])
                step = proxy.script.pop(0) if proxy.script else "forward"
                if step == "503":
                    return self._answer(503, b'{"detail": "down"}', {"Retry-After": "7"})
                if step == "429":
                    return self._answer(429, b'{"detail": "slow down"}', {"Retry-After": "3"})
                status, answer = proxy.forward(self.path, body, self.headers["Authorization"])
                if step == "lose":
                    return self._answer(502, b"bad gateway", {})
                self._answer(status, answer, {})

            def _answer(self, status, body, headers):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.upstream = upstream
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, path, body, auth):
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        request = urllib.request.Request(self.upstream + path, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def raw_key(transactional_db):
    return ApiKey.issue("client", ["ailogs:write"])[1]


@pytest.fixture
def proxy_for(live_server):
    proxies = []

    def make(script):
        proxies.append(Proxy(live_server.url, script))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def test_it_sends_batches_in_the_background(live_server, raw_key):
    client = aimon.Client(live_server.url, raw_key, batch_size=10, flush_interval=0.1)
    ids = [
        client.log_call("summarise", 12.5, model="gpt-4o-mini", input="secret prompt", prompt_tokens=5)
        for _ in range(25)
    ]
    assert client.flush(20)
    client.close()
    assert AiCall.objects.count() == 25
    assert set(map(str, AiCall.objects.values_list("event_id", flat=True))) == set(ids)
    assert client.stats["sent"] == 25 and client.stats["dropped"] == 0


def test_it_retries_with_the_same_event_ids_and_honours_retry_after(proxy_for, raw_key):
    proxy = proxy_for(["503", "lose", "429"])
    client = RecordingClient(proxy.url, raw_key, batch_size=50, flush_interval=0.1)
    for i in range(5):
        client.log_call("rank", 3.0, status="error" if i == 0 else "success")
    assert client.flush(20)
    client.close()
    assert len(proxy.seen_ids) == 4 and all(ids == proxy.seen_ids[0] for ids in proxy.seen_ids)
    assert AiCall.objects.count() == 5  # stored by the "lost" attempt, counted duplicate on the retry
    assert client.stats["sent"] == 0 and client.stats["duplicates"] == 5
    assert client.delays[0] >= 7 and client.delays[2] >= 3  # Retry-After wins over a shorter backoff


def test_it_backs_off_exponentially_with_jitter(raw_key):
    client = aimon.Client("http://127.0.0.1:9", raw_key, backoff_base=1, backoff_max=30)
    delays = [client._delay(attempt, None) for attempt in range(6) for _ in range(50)]
    client.close(0.1)
    assert all(
        0 <= d <= min(30, 2**attempt)
        for d, attempt in zip(delays, [a for a in range(6) for _ in range(50)], strict=True)
    )
    assert max(delays[250:]) > 2  # later attempts really wait longer


def test_it_never_raises_into_the_host(raw_key):
    client = RecordingClient("http://127.0.0.1:9", raw_key, max_retries=2, flush_interval=0.05, max_queue=3)
    assert client.log_call("f", 1.0, metadata={"not json": object()}) is None
    for _ in range(5):
        client.log_call("f", 1.0)  # the server is down and the queue holds 3: some are dropped at once
    assert client.flush(10)
    client.close(1)
    assert client.stats["dropped"] == 6 and client.stats["sent"] == 0  # each one accounted for


def test_it_records_failures_of_tracked_blocks(live_server, raw_key):
    client = aimon.Client(live_server.url, raw_key, flush_interval=0.05)
    with pytest.raises(ZeroDivisionError):
        with client.track("divide", model="calc-1") as call:
            call["prompt_tokens"] = 3
            call["result"] = 1 / 0
    client.close(10)
    call = AiCall.objects.get()
    assert (call.status, call.prompt_tokens, call.function) == ("error", 3, "divide")
    assert call.error_message.startswith("ZeroDivisionError")


def test_it_flushes_at_interpreter_exit(live_server, raw_key):
    import subprocess
    import sys

    program = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('aimon', {str(CLIENT_PATH)!r})\n"
        "aimon = importlib.util.module_from_spec(spec); spec.loader.exec_module(aimon)\n"
        f"aimon.configure({live_server.url!r}, {raw_key!r}, flush_interval=60)\n"
        "for i in range(3):\n"
        "    aimon.log_call('exit-test', 5.0)\n"
    )  # flush_interval=60: only the exit hook can have sent them
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)  # noqa: S603 (our own program)
    assert AiCall.objects.filter(function="exit-test").count() == 3


def test_its_event_ids_are_uuid7_and_sort_in_the_order_they_were_made():
    made = []
    for _ in range(3):
        made.append(aimon.uuid7())
        time.sleep(0.002)  # ids are ordered at millisecond granularity
    assert [u.version for u in made] == [7, 7, 7]
    assert all(u.variant == uuid.RFC_4122 for u in made)
    assert sorted(made, key=lambda u: u.bytes) == made
    assert abs((made[0].int >> 80) - time.time() * 1000) < 60_000  # the first 48 bits are Unix milliseconds
