from django.test import Client

from feedback.models import Feedback, FeedbackSite

from .conftest import ORIGIN, URL


def preflight(origin: str):
    return Client().options(
        URL,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )


def test_it_answers_preflight_for_an_allowed_origin(site):
    response = preflight(ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "content-type" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_it_gives_no_cors_headers_to_a_disallowed_or_null_origin(site):
    for origin in ("https://evil.example", "null", "https://shop.example.evil.example", "http://shop.example"):
        response = preflight(origin)
        assert "Access-Control-Allow-Origin" not in response, origin


def test_it_never_allows_all_origins(site):
    response = preflight(ORIGIN)
    assert response["Access-Control-Allow-Origin"] != "*"


def test_inactive_sites_do_not_open_cors(site):
    FeedbackSite.objects.filter(pk=site.pk).update(is_active=False)
    assert "Access-Control-Allow-Origin" not in preflight(ORIGIN)


def test_other_paths_get_no_cors_even_for_allowed_origins(site):
    response = Client().get("/api/health", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response


def test_it_stores_a_post_from_an_allowed_origin_and_sets_no_cookie(widget_post):
    response = widget_post()
    assert response.status_code == 201
    assert response.json() == {"id": Feedback.objects.get().pk, "status": "pending"}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert not response.cookies


def test_it_refuses_a_post_from_a_disallowed_origin(widget_post):
    response = widget_post(origin="https://evil.example")
    assert response.status_code == 403
    assert "not allowed" in response.json()["detail"]
    assert "Access-Control-Allow-Origin" not in response
    assert not Feedback.objects.exists()


def test_origin_allowed_for_another_site_is_refused(widget_post, db):
    FeedbackSite.objects.create(name="Other", allowed_origins="https://other.example")
    assert widget_post(origin="https://other.example").status_code == 403


def test_it_refuses_a_post_without_origin(widget_post):
    assert widget_post(origin=None).status_code == 403


def test_it_refuses_an_unknown_or_missing_site_key(widget_post):
    assert widget_post(site_key="pk_nope").status_code == 403
    assert widget_post(site_key=None).status_code == 403
    assert not Feedback.objects.exists()


def test_it_refuses_an_inactive_site(widget_post, site):
    FeedbackSite.objects.filter(pk=site.pk).update(is_active=False)
    assert widget_post().status_code == 403


def test_token_endpoint_follows_the_same_rules(site):
    ok = Client().get(URL, {"site_key": site.public_key}, HTTP_ORIGIN=ORIGIN)
    assert ok.status_code == 200 and ok.json()["token"]
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert Client().get(URL, {"site_key": site.public_key}, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert Client().get(URL, {"site_key": "pk_x"}, HTTP_ORIGIN=ORIGIN).status_code == 403
