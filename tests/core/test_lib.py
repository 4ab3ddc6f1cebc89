import random

import pytest

from monitoring_site.lib.histogram import LogHistogram, merged
from monitoring_site.lib.percentiles import interpolate


def exact(values, q):
    values = sorted(values)
    return interpolate(values, q)


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_histogram_quantiles_are_within_two_percent_of_exact(q):
    rng = random.Random(7)
    values = [rng.lognormvariate(5, 1.2) for _ in range(20_000)]
    assert LogHistogram.of(values).quantile(q) == pytest.approx(exact(values, q), rel=0.02)


def test_histograms_of_separate_hours_merge_to_the_quantiles_of_all_values():
    rng = random.Random(3)
    hours = [[rng.expovariate(1 / 300) for _ in range(2_000)] for _ in range(24)]
    stored = [LogHistogram.of(hour).to_json() for hour in hours]
    everything = [v for hour in hours for v in hour]
    combined = merged(stored)
    assert combined.count == len(everything)
    assert combined.quantile(0.95) == pytest.approx(exact(everything, 0.95), rel=0.02)


def test_histogram_handles_zeros_negatives_and_empty():
    assert LogHistogram().quantile(0.5) is None
    histogram = LogHistogram.of([-10, -1, 0, 0, 1, 10])
    assert histogram.quantile(0.0) == pytest.approx(-10, rel=0.02)
    assert histogram.quantile(0.5) == 0.0
    assert histogram.quantile(1.0) == pytest.approx(10, rel=0.02)


def test_interpolate_matches_percentile_cont_definition():
    assert interpolate([1, 2, 3, 4], 0.5) == 2.5
    assert interpolate([10], 0.99) == 10
    assert interpolate([], 0.5) is None
