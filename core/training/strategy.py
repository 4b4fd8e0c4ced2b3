"""How a run spends its budget: a quick first model, the fit, then finishing work, all inside
the time limit the analyst chose, counted from launch.

- The first model is a LightGBM with a faster learning rate (on two folds when the quality
  level bags), fitted before anything else, so a usable model with a score exists within
  seconds at every quality level.
- AutoGluon's refit of the best model on all training rows happens after `fit()` and outside
  its time limit; presets that ask for it get it only when the clock says it fits.
- Finishing (holdout scoring, leaderboard, thresholds, importance) is reserved up front.
"""

import os
import time
from dataclasses import dataclass

from core.foundation import config

QUICK_GBM = {"learning_rate": 0.1, "num_boost_round": 400,
             "ag_args": {"name_suffix": "Quick", "priority": 1000}, "ag_args_ensemble": {"num_folds": 2}}
FINISH_BASE_SECONDS = 2.0
FINISH_SHARE = 0.1  # of the budget, for scoring, thresholds and importance
IMPORTANCE_SHARE = 0.06
REFIT_ROWS = 10_000  # below this, the model for use is refit on all rows by default


@dataclass(frozen=True)
class Clock:
    """Seconds left of the budget, counted from the moment the run was launched."""

    launched_at: float
    limit: float

    @classmethod
    def from_env(cls, limit: float) -> "Clock":
        return cls(float(os.environ.get("COMMONGROUND_LAUNCHED_AT") or time.time()), limit)

    def elapsed(self) -> float:
        return time.time() - self.launched_at

    def left(self) -> float:
        return self.limit - self.elapsed()


def finishing_seconds(limit: float) -> float:
    """Time kept back from the fit for the work after it."""
    return FINISH_BASE_SECONDS + FINISH_SHARE * limit


def importance_seconds(limit: float) -> float:
    return max(1.0, IMPORTANCE_SHARE * limit)


IMPORTANCE_MAX_ROWS = 5000  # AutoGluon's own default sample
IMPORTANCE_MIN_ROWS = 100


def importance_rows(holdout_rows: int, features: int, predict_ms_per_1000: float | None, seconds: float) -> int:
    """Holdout rows the permutation importance can afford in `seconds`. AutoGluon always finishes
    its first shuffle set whatever the time limit, and one set predicts every feature's permuted
    copy: on a 2-level stack of bagged models that was 89 s for a 5-minute run (bench part F)."""
    rows = min(holdout_rows, IMPORTANCE_MAX_ROWS)
    if predict_ms_per_1000:
        per_row = (features + 1) * predict_ms_per_1000 / 1e6  # seconds one row costs in one shuffle set
        rows = min(rows, int(seconds / per_row))
    return max(rows, min(IMPORTANCE_MIN_ROWS, holdout_rows))


def with_quick_model(hyperparameters: dict) -> dict:
    """The preset's models, plus the quick LightGBM that is fitted first."""
    out = {k: (list(v) if isinstance(v, list) else [v]) for k, v in hyperparameters.items()}
    out.setdefault("GBM", [])
    out["GBM"] = [QUICK_GBM, *out["GBM"]]
    return out


def fold_fitting(cpus: int, fit_kwargs: dict) -> dict:
    """How bag folds are fitted, chosen here rather than by whether Ray happens to be installed:
    AutoGluon's `ag_args_ensemble` and, for dynamic stacking, `ds_args` (its sub-fit runs in a Ray
    subprocess only when folds go parallel). What a person set explicitly is kept."""
    # Once Ray is importable AutoGluon fits folds in parallel Ray processes by default; on a share
    # of 2 cores that was slower (bench/results/folds.md), so that is a setting, measured.
    parallel = cpus >= int(config.SETTINGS["COMMONGROUND_PARALLEL_FOLDS_MIN_CPUS"].value())
    ensemble = {"fold_fitting_strategy": "parallel_local" if parallel else "sequential_local",
                **(fit_kwargs.get("ag_args_ensemble") or {})}
    return {"ag_args_ensemble": ensemble,
            "ds_args": {"memory_safe_fits": parallel, **(fit_kwargs.get("ds_args") or {})}}


def refit_seconds(fit_seconds: float, bagged_folds: int) -> float:
    """Refitting a (bagged) model on all rows costs about one fold's fit, with a margin."""
    return 1.5 * fit_seconds / max(bagged_folds, 1) + 1.0


def wants_refit_for_use(rows: int) -> bool:
    return rows < REFIT_ROWS
