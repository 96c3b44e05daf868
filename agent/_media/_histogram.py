"""Histograms: inline in the history row, no file."""

from __future__ import annotations

import math

from ._base import Media, _numpy, _Writer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

MAX_BINS = 512


class Histogram(Media):
    """A histogram, stored inline in the history row (no file).

    As ``wandb.Histogram``: from a ``sequence`` (a list, a numpy array or a
    torch tensor) with ``num_bins`` bins (at most 512), or precomputed
    ``np_histogram=(counts, edges)``. Non-finite values are left out.
    ``histogram`` and ``bins`` are the counts and edges.

    >>> Histogram([1, 2, 2, 3], num_bins=2).counts
    [1, 3]
    """

    kind = "histogram"

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: Optional[tuple[Any, Any]] = None,
        num_bins: int = 64,
    ) -> None:
        if np_histogram is not None:
            counts, edges = (_plain_list(x) for x in np_histogram)
            if len(edges) != len(counts) + 1 or not counts:
                raise ValueError("np_histogram is (counts, edges) with len(edges) == len(counts) + 1")
            self.counts = [int(c) for c in counts]
            self.edges = [float(e) for e in edges]
            if any(b <= a for a, b in zip(self.edges, self.edges[1:])):
                raise ValueError("histogram edges must increase")
        else:
            if sequence is None:
                raise ValueError("give a sequence or np_histogram")
            if not 1 <= int(num_bins) <= MAX_BINS:
                raise ValueError(f"num_bins is 1 to {MAX_BINS}")
            self.counts, self.edges = _bin(sequence, int(num_bins))
        if len(self.counts) > MAX_BINS:
            raise ValueError(f"at most {MAX_BINS} bins")

    @property
    def histogram(self) -> list[int]:
        return self.counts

    @property
    def bins(self) -> list[float]:
        return self.edges

    def _write(self, out: _Writer) -> dict[str, Any]:
        return {"_type": "histogram", "edges": self.edges, "counts": self.counts}


def _plain_list(value: Any) -> list[Any]:
    tolist = getattr(value, "tolist", None)
    return list(tolist()) if callable(tolist) else list(value)


def _bin(values: Any, bins: int) -> tuple[list[int], list[float]]:
    np: Any = None
    if not isinstance(values, (list, tuple)) or len(values) > 10_000:
        try:
            import numpy as np
        except ImportError:
            np = None
    if np is not None:
        arr = _numpy(values).astype(np.float64).ravel()
        arr = arr[np.isfinite(arr)]
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        counts, edges = np.histogram(arr, bins=bins, range=(lo, hi))
        return [int(c) for c in counts], [float(e) for e in edges]
    flat = [float(v) for v in _plain_list(values)]
    flat = [v for v in flat if math.isfinite(v)]
    lo, hi = (min(flat), max(flat)) if flat else (0.0, 0.0)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in flat:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return counts, [lo + width * i for i in range(bins)] + [hi]
