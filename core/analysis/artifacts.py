"""A run's artifacts as the analysis needs them: its predictor and the rows it trained and tested on.

One place reloads the holdout (the exact rows the worker kept aside) and one place loads a
predictor, so every page and command scores the same rows with the same model.
"""

import functools

import pandas as pd

from core.foundation.errors import InvalidInput
from core.training.views import RunRecord


def load_predictor(run: RunRecord):
    return _load_predictor(str(run.folder / "model"))


def model_for_use(run: RunRecord) -> tuple:
    """(predictor, model name) that scores new rows: the copy refit on every labelled row when
    the worker made one for the model in use, else the tested model itself."""
    use = run.details.get("model_for_use") or {}
    folder = run.folder / "model_for_use"
    if use.get("done") and run.chosen_model in (use["model"], use["model"] + "_FULL") and folder.exists():
        return _load_predictor(str(folder)), use["refit_model"]
    return load_predictor(run), run.predicting_model()


@functools.lru_cache(maxsize=4)
def _load_predictor(path: str):
    """Loaded once per process: a what-if edit must not pay for reading models from disk.
    A finished run's model folder never changes, so the cache cannot go stale. AutoGluon's
    version checks stay on: a model saved by other versions is refused, not half-loaded."""
    from autogluon.tabular import TabularPredictor

    try:
        return TabularPredictor.load(path)
    except AssertionError as exc:  # AutoGluon's version checks say which versions differ
        raise InvalidInput(code="model_versions", value=path, msg="model_versions", folder=path,
                           detail=" ".join(str(exc).split())[:300]) from None


def positive_class(run: RunRecord) -> str:
    """A binary run's positive class, as text: recorded when the run ended, else (a run stopped
    before it could say) the predictor's own."""
    return str(run.details.get("positive_class") or load_predictor(run).positive_class)


def labelled_rows(run: RunRecord) -> pd.DataFrame:
    """The run's data snapshot, rows with a known target, numbered as the worker numbered them."""
    data = pd.read_parquet(run.folder / "data.parquet")
    return data[data[run.target].notna()].reset_index(drop=True)


def holdout_rows(run: RunRecord) -> list[int]:
    """Positions (in labelled_rows) of the rows the run kept aside and never trained on."""
    return pd.read_parquet(run.folder / "holdout_rows.parquet")["row"].tolist()


def training_labels(run: RunRecord) -> pd.Series:
    """The target on the rows the run trained on (everything labelled but the holdout)."""
    labelled = labelled_rows(run)
    return labelled[run.target].drop(index=holdout_rows(run))


def holdout_frame(run: RunRecord, rows: list[int] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """The holdout rows (or a subset of them), split into the model's features and the target."""
    holdout = labelled_rows(run).loc[holdout_rows(run) if rows is None else rows]
    return holdout[run.features_used], holdout[run.target]


def training_features(run: RunRecord) -> pd.DataFrame:
    """The model's input columns over the whole snapshot (for ranges, categories and backgrounds)."""
    return pd.read_parquet(run.folder / "data.parquet", columns=run.features_used)
