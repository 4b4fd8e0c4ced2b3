"""Which way a metric points, from AutoGluon's own scorer: the one rule for "better".

AutoGluon flips error metrics so that its scores are always "higher is better"; its scorer's
`greater_is_better_internal` says which way the metric itself points. Values are stored and
shown in the metric's own direction (errors positive, in the target's units).
"""

import functools


@functools.lru_cache(maxsize=None)
def greater_is_better(metric: str, problem_type: str | None = None) -> bool:
    from autogluon.core.metrics import get_metric

    scorer = get_metric(metric, problem_type)
    return bool(getattr(scorer, "greater_is_better_internal", scorer.greater_is_better))


def natural(value, greater: bool):
    """An AutoGluon score in the metric's own sign; None for None or NaN (a model that cannot predict)."""
    if value is None or value != value:
        return None
    value = float(value)
    return value if greater else -value


def better(a: float | None, b: float | None, *, metric: str, problem_type: str | None = None) -> bool:
    """True when score `a` beats `b` for this metric (a missing score never wins)."""
    if a is None:
        return False
    if b is None:
        return True
    return a > b if greater_is_better(metric, problem_type) else a < b


def best(items: list, *, metric: str, problem_type: str | None = None, score=lambda item: item):
    """The item with the best score for this metric (None if none has a score)."""
    winner = None
    for item in items:
        if score(item) is None:
            continue
        if winner is None or better(score(item), score(winner), metric=metric, problem_type=problem_type):
            winner = item
    return winner


def holdout_metrics(predictor, holdout, problem_type: str) -> dict:
    """Every metric AutoGluon reports on the holdout rows, in the metric's own direction."""
    import numpy as np

    scores = predictor.evaluate(holdout, silent=True)
    return {name: natural(value, greater_is_better(name, problem_type))
            for name, value in scores.items() if isinstance(value, (int, float, np.floating))}
