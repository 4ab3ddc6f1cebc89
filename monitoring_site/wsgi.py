import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
application = get_wsgi_application()

from checks.recording import record_process_start  # noqa: E402  (needs Django set up above)

record_process_start("web")  # the process_restarts alert counts these
