from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ailogs import urls as ailogs_urls
from alerts import urls as alerts_urls
from checks import urls as checks_urls
from feedback import urls as feedback_urls
from incidents import urls as incidents_urls
from metrics import urls as metrics_urls
from monitoring_site import views
from monitoring_site.prometheus import metrics_view
from traces import urls as traces_urls

api_v1 = [
    path("auth/check/", views.AuthCheckView.as_view(), name="auth-check"),
    *ailogs_urls.api_urlpatterns,
    *metrics_urls.api_urlpatterns,
    *feedback_urls.api_urlpatterns,
    *alerts_urls.api_urlpatterns,
    *checks_urls.api_urlpatterns,
    *incidents_urls.api_urlpatterns,
    *traces_urls.api_urlpatterns,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/health", views.api_health, name="api-health"),
    path("healthz", views.healthz, name="healthz"),
    path("status", views.status, name="status"),
    path("metrics", metrics_view, name="prometheus-metrics"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    *ailogs_urls.urlpatterns,
    *metrics_urls.urlpatterns,
    *feedback_urls.urlpatterns,
    *alerts_urls.urlpatterns,
    *checks_urls.urlpatterns,
    *incidents_urls.urlpatterns,
]

handler404 = "monitoring_site.views.not_found"
handler500 = "monitoring_site.views.server_error"
