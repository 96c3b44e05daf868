"""Charts to log, with W&B's names: ``agent.log({"roc": agent.plot.roc_curve(y_true, y_probas)})``.

Each function returns a chart: an ``agent.Table`` of the points and how to
draw them (W&B's preset id and field mapping). The run page draws it as a
panel with a step slider. ``pr_curve``, ``roc_curve`` and
``confusion_matrix`` compute their points here with numpy (imported on
use; scikit-learn is not needed). See docs/media.md, Charts.

>>> import agent
>>> t = agent.Table(columns=["step", "loss"], data=[[0, 1.0], [1, 0.5]])
>>> agent.plot.line(t, "step", "loss", title="loss").fields
{'x': 'step', 'y': 'loss', 'stroke': None}
"""

from __future__ import annotations

import warnings

from ._errors import AgentWarning
from ._media._chart import SPECS, Chart
from ._media._data import Table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

__all__ = [
    "Chart", "bar", "confusion_matrix", "histogram", "line", "line_series", "plot_table", "pr_curve",
    "roc_curve", "scatter",
]

# W&B's wandb.Table.MAX_ROWS: a curve chart keeps at most this many points in all.
MAX_POINTS = 10_000


def line(table: Table, x: str, y: str, stroke: Optional[str] = None, title: str = "", split_table: bool = False) -> Chart:
    """Points of ``table`` joined by lines, ``x`` against ``y``; one line per value of ``stroke``."""
    return Chart("line", "wandb/line/v0", table, {"x": x, "y": y, "stroke": stroke}, {"title": title})


def scatter(table: Table, x: str, y: str, title: str = "", split_table: bool = False) -> Chart:
    """The rows of ``table`` as points, ``x`` against ``y``."""
    return Chart("scatter", "wandb/scatter/v0", table, {"x": x, "y": y}, {"title": title})


def bar(table: Table, label: str, value: str, title: str = "", split_table: bool = False) -> Chart:
    """One bar per row of ``table``: its ``label`` and its ``value``."""
    return Chart("bar", "wandb/bar/v0", table, {"label": label, "value": value}, {"title": title})


def histogram(table: Table, value: str, title: str = "", split_table: bool = False) -> Chart:
    """The distribution of the column ``value`` of ``table``, binned in the browser."""
    return Chart("histogram", "wandb/histogram/v0", table, {"value": value}, {"title": title})


def line_series(
    xs: Sequence[Any],
    ys: Sequence[Sequence[Any]],
    keys: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
    xname: Optional[str] = None,
    split_table: bool = False,
) -> Chart:
    """Several lines: ``ys[i]`` against ``xs`` (one list for all, or one list per line), named ``keys[i]``.

    >>> line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], keys=["up", "down"]).table.rows[3]
    [0, 'down', 3]
    """
    xs = list(xs)
    ys = [list(y) for y in ys]
    if xs and not _is_sequence(xs[0]):
        xs = [xs] * len(ys)
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} x series for {len(ys)} y series")
    names = [f"line_{i}" for i in range(len(ys))] if keys is None else [str(k) for k in keys]
    if len(names) != len(ys):
        raise ValueError(f"{len(names)} keys for {len(ys)} y series")
    data = [[x, names[i], y] for i, (xx, yy) in enumerate(zip(xs, ys)) for x, y in zip(xx, yy)]
    table = Table(columns=["step", "lineKey", "lineVal"], data=data)
    fields = {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"}
    return Chart("line_series", "wandb/lineseries/v0", table, fields, {"title": title or "", "xname": xname or "x"})


def plot_table(
    vega_spec_name: str,
    data_table: Table,
    fields: dict[str, Any],
    string_fields: Optional[dict[str, Any]] = None,
    split_table: bool = False,
) -> Chart:
    """A chart of W&B's preset ``vega_spec_name`` (``wandb/line/v0`` ...); another preset is shown as its table."""
    return Chart(SPECS.get(vega_spec_name, "custom"), vega_spec_name, data_table, dict(fields), string_fields)


def confusion_matrix(
    probs: Any = None,
    y_true: Any = None,
    preds: Any = None,
    class_names: Optional[Sequence[str]] = None,
    title: str = "Confusion Matrix Curve",
    split_table: bool = False,
) -> Chart:
    """Counts of each (actual, predicted) pair; ``preds`` or ``probs`` (their argmax is the prediction).

    With ``class_names``, labels are indices into it; without, the classes are
    the sorted labels seen, named ``Class_1``, ``Class_2`` ...

    >>> confusion_matrix(y_true=[0, 1, 1], preds=[0, 1, 0], class_names=["a", "b"]).table.rows
    [['a', 'a', 1], ['a', 'b', 0], ['b', 'a', 1], ['b', 'b', 1]]
    """
    if probs is not None and preds is not None:
        raise ValueError("give probs or preds, not both")
    if y_true is None or (probs is None and preds is None):
        raise ValueError("confusion_matrix needs y_true, and preds or probs")
    actual = _labels(y_true)
    if probs is not None:
        import numpy as np

        predicted = [int(i) for i in np.argmax(np.asarray(probs), axis=1)]
    else:
        predicted = _labels(preds)
    if len(predicted) != len(actual):
        raise ValueError(f"{len(predicted)} predictions for {len(actual)} true labels")
    if class_names is not None:
        names = [str(c) for c in class_names]
        classes: list[Any] = list(range(len(names)))
    else:
        classes = sorted(set(actual) | set(predicted))
        names = [f"Class_{i + 1}" for i in range(len(classes))]
    index = {c: i for i, c in enumerate(classes)}
    counts = [[0] * len(classes) for _ in classes]
    for a, p in zip(actual, predicted):
        if a not in index or p not in index:
            raise ValueError(f"label {a if a not in index else p!r} is not a class index of class_names ({len(names)} names)")
        counts[index[a]][index[p]] += 1
    data = [[names[i], names[j], counts[i][j]] for i in range(len(classes)) for j in range(len(classes))]
    table = Table(columns=["Actual", "Predicted", "nPredictions"], data=data)
    fields = {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"}
    return Chart("confusion_matrix", "wandb/confusion_matrix/v1", table, fields, {"title": title})


def roc_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Optional[Sequence[str]] = None,
    classes_to_plot: Optional[Sequence[Any]] = None,
    title: str = "ROC Curve",
    split_table: bool = False,
) -> Chart:
    """The ROC curve of each class, one against the rest: false positive rate against true positive rate.

    ``y_probas`` is N × classes (a column per class of ``y_true``, in sorted
    order); a single column of N scores is the probability of the greater
    class of a binary problem.

    >>> c = roc_curve([0, 0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
    >>> [row[1:] for row in c.table.rows if row[0] == 1]
    [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    """
    rows: list[list[Any]] = []
    for name, scores, positive in _one_vs_rest(y_true, y_probas, labels, classes_to_plot):
        fps, tps, _ = _counts(scores, positive)
        import numpy as np

        fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
        # Only the corners of the curve: a point on a straight line between its neighbours adds nothing.
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[keep], tps[keep]
        fpr = fps / fps[-1] if fps[-1] else np.zeros(fps.shape)
        tpr = tps / tps[-1] if tps[-1] else np.zeros(tps.shape)
        rows.extend([name, float(f), float(t)] for f, t in zip(fpr, tpr))
    table = Table(columns=["class", "fpr", "tpr"], data=_capped(rows))
    strings = {"title": title, "x-axis-title": "False positive rate", "y-axis-title": "True positive rate"}
    return Chart("roc_curve", "wandb/area-under-curve/v0", table, {"x": "fpr", "y": "tpr", "class": "class"}, strings)


def pr_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Optional[Sequence[str]] = None,
    classes_to_plot: Optional[Sequence[Any]] = None,
    interp_size: int = 21,
    title: str = "Precision-Recall Curve",
    split_table: bool = False,
) -> Chart:
    """The precision-recall curve of each class, one against the rest, at ``interp_size`` recalls from 1 to 0.

    The precision at recall r is the best precision at any recall of r or more
    (interpolated precision), as W&B draws it.

    >>> c = pr_curve([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]], interp_size=3)
    >>> [row[1:] for row in c.table.rows if row[0] == 1]
    [[1.0, 1.0], [1.0, 0.5], [1.0, 0.0]]
    """
    if interp_size < 2:
        raise ValueError("interp_size is at least 2")
    import numpy as np

    grid = np.round(np.linspace(0.0, 1.0, interp_size), 6)[::-1]
    rows: list[list[Any]] = []
    for name, scores, positive in _one_vs_rest(y_true, y_probas, labels, classes_to_plot):
        fps, tps, _ = _counts(scores, positive)
        precision = np.r_[tps / (tps + fps), 1.0]
        recall = np.r_[tps / tps[-1], 0.0]
        # Best precision at a recall of r or more: a running maximum from the highest recall down.
        order = np.argsort(-recall, kind="stable")
        best = np.maximum.accumulate(precision[order])
        at = np.searchsorted(-recall[order], -grid, side="right") - 1
        rows.extend([name, float(best[i]), float(r)] for i, r in zip(at, grid))
    table = Table(columns=["class", "precision", "recall"], data=_capped(rows))
    strings = {"title": title, "x-axis-title": "Recall", "y-axis-title": "Precision"}
    return Chart("pr_curve", "wandb/area-under-curve/v0", table, {"x": "recall", "y": "precision", "class": "class"}, strings)


# -- helpers ---------------------------------------------------------------------------


def _is_sequence(value: Any) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__iter__")


def _labels(values: Any) -> list[Any]:
    """Labels as plain Python values (numpy scalars become ints, floats, str)."""
    out = []
    for v in values if not hasattr(values, "tolist") else values.tolist():
        out.append(v.item() if hasattr(v, "item") else v)
    return out


def _one_vs_rest(y_true: Any, y_probas: Any, labels: Any, classes_to_plot: Any) -> list[tuple[Any, Any, Any]]:
    """(class name, its scores, which samples are of it) for each class to plot."""
    import numpy as np

    if y_true is None or y_probas is None:
        raise ValueError("give y_true and y_probas")
    truth = np.asarray(y_true)
    probas = np.asarray(y_probas, dtype=np.float64)
    if truth.ndim != 1 or truth.size == 0:
        raise ValueError("y_true is a non-empty list of labels")
    classes = np.unique(truth)
    if probas.ndim == 1:  # a binary problem's scores of its greater class
        probas = np.stack([1.0 - probas, probas], axis=1)
    if probas.ndim != 2 or probas.shape[0] != truth.size:
        raise ValueError(f"y_probas is N × classes: {truth.size} rows for {truth.size} labels, not shape {probas.shape}")
    integers = truth.dtype.kind in "iu"
    # A column per class: an integer class is its own column when it can be; else its place in the sorted classes.
    by_value = integers and int(classes.max()) < probas.shape[1] and int(classes.min()) >= 0
    if not by_value and len(classes) > probas.shape[1]:
        raise ValueError(f"{len(classes)} classes in y_true but {probas.shape[1]} columns in y_probas")
    wanted = None if classes_to_plot is None else set(_labels(classes_to_plot))
    out = []
    for i, cls in enumerate(classes.tolist()):
        if wanted is not None and cls not in wanted:
            continue
        name = labels[cls] if labels is not None and integers and 0 <= cls < len(labels) else cls
        column = cls if by_value else i
        out.append((name, probas[:, column], truth == classes[i]))
    return out


def _counts(scores: Any, positive: Any) -> tuple[Any, Any, Any]:
    """False and true positives when predicting positive at or above each distinct score, highest first."""
    import numpy as np

    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]  # the last sample of each distinct score
    tps = np.cumsum(positive)[last].astype(np.float64)
    fps = (last + 1) - tps
    return fps, tps, scores[last]


def _capped(rows: list[list[Any]]) -> list[list[Any]]:
    """At most MAX_POINTS rows: each class's curve thinned evenly, keeping its ends."""
    if len(rows) <= MAX_POINTS:
        return rows
    import numpy as np

    warnings.warn(f"agent.plot keeps {MAX_POINTS} points of {len(rows)}: each curve is thinned", AgentWarning, stacklevel=3)
    groups: dict[Any, list[list[Any]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    per = max(2, MAX_POINTS // len(groups))
    out: list[list[Any]] = []
    for group in groups.values():
        if len(group) > per:
            idx = np.unique(np.linspace(0, len(group) - 1, per).round().astype(int))
            group = [group[i] for i in idx]
        out.extend(group)
    return out
