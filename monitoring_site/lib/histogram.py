"""A mergeable log-bucket histogram (DDSketch-style) for percentiles over rollups.

Every value lands in a bucket whose bounds are within +-1 % of each other, so any quantile read
back is within 1 % (relative) of a true sample value, and histograms of different hours merge by
adding counts. Stored as JSON: {"p": {index: count}, "n": {index: count}, "z": zeros}.
"""

import math
from collections.abc import Iterable

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
_MIN_MAGNITUDE = 1e-9


def _index(magnitude: float) -> int:
    return math.ceil(math.log(magnitude) / _LOG_GAMMA)


def _value(index: int) -> float:
    return 2 * GAMMA**index / (GAMMA + 1)


class LogHistogram:
    __slots__ = ("positive", "negative", "zeros")

    def __init__(self, positive=None, negative=None, zeros: int = 0) -> None:
        self.positive: dict[int, int] = dict(positive or {})
        self.negative: dict[int, int] = dict(negative or {})
        self.zeros = zeros

    @classmethod
    def of(cls, values: Iterable[float]) -> "LogHistogram":
        histogram = cls()
        for value in values:
            histogram.add(value)
        return histogram

    @property
    def count(self) -> int:
        return self.zeros + sum(self.positive.values()) + sum(self.negative.values())

    def add(self, value: float, count: int = 1) -> None:
        if abs(value) < _MIN_MAGNITUDE:
            self.zeros += count
        elif value > 0:
            index = _index(value)
            self.positive[index] = self.positive.get(index, 0) + count
        else:
            index = _index(-value)
            self.negative[index] = self.negative.get(index, 0) + count

    def merge(self, other: "LogHistogram") -> "LogHistogram":
        for mine, theirs in ((self.positive, other.positive), (self.negative, other.negative)):
            for index, count in theirs.items():
                mine[index] = mine.get(index, 0) + count
        self.zeros += other.zeros
        return self

    def quantile(self, q: float) -> float | None:
        """Return the q-quantile (0 <= q <= 1), or None when empty.

        Interpolates between the two ranks around q * (n - 1) like percentile_cont, so sparse
        tails (a p99 between two far-apart samples) stay within 1-2 % of the exact answer.
        """
        total = self.count
        if total == 0:
            return None
        rank = q * (total - 1)
        lower = int(rank)
        low_value = self._value_at(lower)
        fraction = rank - lower
        if not fraction:
            return low_value
        return low_value + (self._value_at(lower + 1) - low_value) * fraction

    def _value_at(self, k: int) -> float:
        """The bucket value of the k-th smallest sample (0-based)."""
        seen = 0
        for index in sorted(self.negative, reverse=True):
            seen += self.negative[index]
            if seen > k:
                return -_value(index)
        seen += self.zeros
        if seen > k:
            return 0.0
        for index in sorted(self.positive):
            seen += self.positive[index]
            if seen > k:
                return _value(index)
        return _value(max(self.positive)) if self.positive else 0.0

    def to_json(self) -> dict:
        return {
            "p": {str(k): v for k, v in self.positive.items()},
            "n": {str(k): v for k, v in self.negative.items()},
            "z": self.zeros,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> "LogHistogram":
        data = data or {}
        return cls(
            positive={int(k): v for k, v in data.get("p", {}).items()},
            negative={int(k): v for k, v in data.get("n", {}).items()},
            zeros=data.get("z", 0),
        )


def merged(histograms: Iterable[dict | None]) -> LogHistogram:
    """Merge stored histogram JSON blobs into one histogram."""
    result = LogHistogram()
    for data in histograms:
        result.merge(LogHistogram.from_json(data))
    return result
