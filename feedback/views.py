from functools import lru_cache

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from feedback.models import Feedback

WIDGET_PATH = "feedback/widget.js"


def _read_widget() -> bytes:
    path = finders.find(WIDGET_PATH) or (settings.STATIC_ROOT / WIDGET_PATH)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Http404("widget.js is missing; run collectstatic") from exc


_cached_widget = lru_cache(maxsize=1)(_read_widget)


@require_safe
def widget_js(request):
    """Serve the static widget at /widget.js, the address the SPEC's script tag uses."""
    body = _read_widget() if settings.DEBUG else _cached_widget()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Short cache: host pages pick up a fixed widget within minutes without a versioned URL.
    response["Cache-Control"] = "public, max-age=300"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@login_required(login_url="feedback-login")
def my_feedback(request):
    """The signed-in user's own submissions with their status (never staff notes or spam flags)."""
    items = list(Feedback.objects.filter(user=request.user).only("message", "category", "status", "created_at")[:200])
    for item in items:
        item.public_status = _public_status(item)
    return render(request, "feedback/mine.html", {"items": items})


def _public_status(item: Feedback) -> str:
    # A user's own post marked spam stays "Pending" to them: telling bots they were caught helps bots.
    return Feedback.Status.PENDING.label if item.status == Feedback.Status.SPAM else item.get_status_display()


class LoginView(auth_views.LoginView):
    """Sign-in for end users (the admin's login only admits staff)."""

    template_name = "feedback/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return "/feedback/mine/"
