"""URLs of the ailogs app: `api_urlpatterns` are mounted under /api/v1/, `urlpatterns` at the site root."""

api_urlpatterns: list = []
urlpatterns: list = []
