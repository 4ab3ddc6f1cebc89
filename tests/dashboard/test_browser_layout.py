"""In chromium at 1440x900 with demo data: every list fits without sideways scrolling, every bar has
its label, count axes have whole ticks, and no floating button covers the admin."""

import re

import pytest
from django.core.management import call_command

from tests.dashboard.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUR_APPS = ("ailogs", "alerts", "metrics", "feedback", "dashboard", "monitoring_site")


@pytest.fixture
def demo(alice):
    call_command("seed_demo", "--days", "2", "--events", "400", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_every_changelist_fits_1440_px(live_server, page, demo):
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, "alice")
    links = page.eval_on_selector_all("a[href^='/admin/']", "nodes => nodes.map(n => n.getAttribute('href'))")
    lists = sorted({href for href in links if re.fullmatch(rf"/admin/({'|'.join(OUR_APPS)})/\w+/", href)})
    assert len(lists) >= 15
    too_wide = {}
    for url in lists:
        page.goto(live_server.url + url)
        overflow = page.evaluate(
            """() => { const results = document.querySelector('#changelist .results');
                 return Math.max(document.documentElement.scrollWidth - document.documentElement.clientWidth,
                                 results ? results.scrollWidth - results.clientWidth : 0); }"""
        )
        if overflow > 0:
            too_wide[url] = overflow
    assert too_wide == {}
    assert page.console_errors == []


def test_every_bar_is_labelled_and_counts_tick_in_whole_numbers(live_server, page, demo):
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, "alice")
    for tab in ("ai", "usage", "feedback", "alerts"):
        page.goto(f"{live_server.url}/admin/dashboard/{tab}/?range=7d")
        page.wait_for_load_state("networkidle")
        charts = page.evaluate(
            """() => [...document.querySelectorAll('canvas[data-rendered]')].map(canvas => {
                 const chart = window.Chart.getChart(canvas);
                 const horizontal = chart.options.indexAxis === 'y';
                 const labels = horizontal ? chart.scales.y : chart.scales.x;
                 const values = horizontal ? chart.scales.x : chart.scales.y;
                 return {id: canvas.dataset.chart, bars: chart.data.labels.length, labelled: labels.ticks.length,
                         category: labels.options.title.text !== 'time (UTC)',  // time axes may skip labels
                         ticks: values.ticks.map(t => t.label).filter(Boolean)};
               })"""
        )
        for chart in charts:
            if chart["category"]:
                assert chart["labelled"] == chart["bars"], chart
            for label in chart["ticks"]:
                assert not re.fullmatch(
                    r"[\d,]*\.\d+ (calls|items|transitions|notifications|users|sessions|exports)", label
                ), chart
                assert not re.fullmatch(r"1 (calls|items|transitions|notifications|users|sessions|exports)", label), (
                    chart
                )
    assert page.console_errors == []
