"""URLs of the feedback app: `api_urlpatterns` are mounted under /api/v1/, `urlpatterns` at the site root."""

from django.contrib.auth import views as auth_views
from django.urls import path

from feedback import api, views

api_urlpatterns = [path("feedback/", api.FeedbackView.as_view(), name="feedback-api")]
urlpatterns = [
    path("widget.js", views.widget_js, name="widget-js"),
    path("feedback/mine/", views.my_feedback, name="feedback-mine"),
    path("feedback/login/", views.LoginView.as_view(), name="feedback-login"),
    path("feedback/logout/", auth_views.LogoutView.as_view(next_page="/feedback/login/"), name="feedback-logout"),
]
