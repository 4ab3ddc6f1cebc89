"""What a new user meets in the first ten minutes: `/`, help texts, list order, HEAD, the banner."""

import os
import signal
import subprocess
import sys
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import models
from django.templatetags.static import static

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
OUR_APPS = {"monitoring_site", "ailogs", "metrics", "feedback", "alerts", "dashboard"}


@pytest.mark.parametrize(
    ("persona", "landing"),
    [("alice", "/admin/"), ("mo", "/admin/"), ("uma", "/feedback/mine/"), (None, "/admin/login/")],
)
def test_the_root_lands_somewhere_useful(client, request, persona, landing):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, landing)
    assert client.head("/").status_code == 302


def test_the_admin_login_points_end_users_to_theirs(client):
    assert 'href="/feedback/login/"' in client.get("/admin/login/").content.decode()


def test_help_texts_are_plain_words_a_user_can_follow():
    # Admin pages render help_text as HTML: "metric:<name>" showed as "metric:".
    for model in apps.get_models():
        for field in model._meta.get_fields():
            text = str(getattr(field, "help_text", "") or "")
            assert "<" not in text and "SPEC" not in text, f"{model.__name__}.{field.name}: {text}"


def test_time_series_lists_are_newest_first_with_a_date_hierarchy():
    for model, model_admin in admin.site._registry.items():
        first = model_admin.list_display[0] if model_admin.list_display else None
        field = next((f for f in model._meta.fields if f.name == first), None)
        if not isinstance(field, models.DateTimeField) or model._meta.app_label not in OUR_APPS:
            continue
        ordering = list(model_admin.get_ordering(None) or model._meta.ordering or [])
        # Metric samples: the partitions' primary-key index, which follows insertion (= time) order.
        assert ordering[:1] in ([f"-{first}"], ["-id"]), f"{model.__name__}: {ordering}"
        has_time_filter = model_admin.date_hierarchy or any("Window" in str(f) for f in model_admin.list_filter)
        assert has_time_filter, f"{model.__name__} has no date hierarchy"


def test_head_works_on_the_widget_and_static_files(client):
    widget = client.head("/widget.js")
    assert widget.status_code == 200 and widget["Content-Type"].startswith("text/javascript")
    assert client.head(static("feedback/widget.js")).status_code == 200


def test_bootstrap_says_where_each_demo_account_signs_in(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("bootstrap", "--port", "8123", "--host", "0.0.0.0", "--no-demo-data", stdout=out)  # noqa: S104
    lines = out.getvalue().splitlines()
    password = (tmp_path / "demo-credentials.txt").read_text().strip()
    assert any(password in line for line in lines)
    login = {
        line.split()[0]: line.split()[1] for line in lines if line.strip().startswith(("admin ", "moderator", "user "))
    }
    assert login == {
        "admin": "http://127.0.0.1:8123/admin/",
        "moderator": "http://127.0.0.1:8123/admin/",
        "user": "http://127.0.0.1:8123/feedback/login/",
    }
    assert (tmp_path / "run-banner.txt").read_text() in out.getvalue()


def test_make_run_prints_the_banner_once_all_are_up_and_stops_cleanly(tmp_path):
    script = tmp_path / "fake.py"
    script.write_text(
        textwrap.dedent("""
        import os, signal, sys, time
        pid = os.fork()
        if pid == 0:  # like a Celery pool child: its parent stops it, nobody else may
            signal.signal(signal.SIGTERM, lambda *a: (print("CHILD GOT SIGTERM", flush=True), os._exit(1)))
            while True:
                time.sleep(0.1)
        def stop(*args):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print("stopped cleanly", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        time.sleep(float(sys.argv[2]))
        print(sys.argv[1], flush=True)
        while True:
            time.sleep(0.1)
        """)
    )
    python = sys.executable
    (tmp_path / "Procfile").write_text(
        f"web: exec {python} {script} 'Listening at: http://127.0.0.1:1' 0\n"
        f"worker: exec {python} {script} 'worker ready: w' 0.5\n"
        f"beat: exec {python} {script} 'beat ready: b' 1\n"
    )
    (tmp_path / "run-banner.txt").write_text("THE LOGIN BANNER\n")
    env = {**os.environ, "VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    runner = subprocess.Popen(  # noqa: S603 (our own module, our own arguments)
        [python, "-m", "monitoring_site.run", "--procfile", str(tmp_path / "Procfile"), "--port", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in runner.stdout:
        lines.append(line)
        if "THE LOGIN BANNER" in line:
            break
    runner.send_signal(signal.SIGINT)  # Ctrl-C
    rest, _ = runner.communicate(timeout=60)
    log = "".join(lines) + rest
    assert runner.returncode == 0, log
    before_banner = "".join(lines)
    assert all(ready in before_banner for ready in ("Listening at:", "worker ready:", "beat ready:"))
    assert log.count("stopped cleanly") == 3
    assert "CHILD GOT SIGTERM" not in log and "SIGKILL" not in log
    assert "all processes stopped" in log
