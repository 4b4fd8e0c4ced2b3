"""Fairness of a run's model across groups of people, with Fairlearn.

Fairlearn's `MetricFrame` computes each metric per group (one sensitive column, and every
intersection of two) on the holdout rows, with the model and threshold in use, or on a labeled
file scored with the run's model. The metric functions are plain NumPy, so a MetricFrame stays
fast on large batches; 95% intervals come from a vectorised Poisson bootstrap of each group's
confusion counts (classification) or rows (regression). Every analysis is stored in DuckDB
with its settings (`fairness_analyses`); pages and the summary read the latest one.
"""

import itertools
import json
import time

import numpy as np
import pandas as pd
from fairlearn.metrics import (MetricFrame, demographic_parity_difference, demographic_parity_ratio,
                               equal_opportunity_difference, equalized_odds_difference, equalized_odds_ratio)

from core.analysis import artifacts, evaluation
from core.foundation import config, db
from core.foundation.errors import InvalidInput
from core.training import views
from core.training.views import RunRecord
from core.governance.roles import action

MIN_GROUP = 30
RESAMPLES = 400
MAX_GROUPS = 30
BANDS = 4
SEED = 0


# --- metrics: plain NumPy, weighted (classification rows are collapsed to counts first) -----------

def _rate(num, den):
    return float(num / den) if den else float("nan")


def _weights(y, sample_weight):
    return np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)


def selection_rate(y, p, sample_weight=None):
    w = _weights(y, sample_weight)
    return _rate(np.sum(w[p]), np.sum(w))


def accuracy(y, p, sample_weight=None):
    w = _weights(y, sample_weight)
    return _rate(np.sum(w[y == p]), np.sum(w))


def precision(y, p, sample_weight=None):
    w = _weights(y, sample_weight)
    return _rate(np.sum(w[y & p]), np.sum(w[p]))


def true_positive_rate(y, p, sample_weight=None):
    w = _weights(y, sample_weight)
    return _rate(np.sum(w[y & p]), np.sum(w[y]))


def false_positive_rate(y, p, sample_weight=None):
    w = _weights(y, sample_weight)
    return _rate(np.sum(w[~y & p]), np.sum(w[~y]))


def false_negative_rate(y, p, sample_weight=None):
    w = _weights(y, sample_weight)
    return _rate(np.sum(w[y & ~p]), np.sum(w[y]))


def count(y, p, sample_weight=None):
    return int(round(np.sum(_weights(y, sample_weight))))


BINARY = {"count": count, "selection_rate": selection_rate, "accuracy": accuracy, "precision": precision,
          "true_positive_rate": true_positive_rate, "false_positive_rate": false_positive_rate,
          "false_negative_rate": false_negative_rate}
MULTICLASS = {"count": count, "accuracy": accuracy}
MAIN = {"binary": "selection_rate", "multiclass": "accuracy", "regression": "mean_absolute_error"}
REGRESSION = {"count": count, "mean_prediction": lambda y, p: float(np.mean(p)),
              "mean_actual": lambda y, p: float(np.mean(y)),
              "mean_absolute_error": lambda y, p: float(np.mean(np.abs(y - p))),
              "root_mean_squared_error": lambda y, p: float(np.sqrt(np.mean((y - p) ** 2)))}
# From a group's confusion counts (tp, fp, fn, tn), for the bootstrap.
FROM_COUNTS = {
    "selection_rate": lambda tp, fp, fn, tn: (tp + fp) / (tp + fp + fn + tn),
    "accuracy": lambda tp, fp, fn, tn: (tp + tn) / (tp + fp + fn + tn),
    "precision": lambda tp, fp, fn, tn: tp / (tp + fp),
    "true_positive_rate": lambda tp, fp, fn, tn: tp / (tp + fn),
    "false_positive_rate": lambda tp, fp, fn, tn: fp / (fp + tn),
    "false_negative_rate": lambda tp, fp, fn, tn: fn / (tp + fn),
}


def collapse(kind: str, y, p, groups: pd.DataFrame):
    """Classification rows as one weighted row per (group, truth, prediction): a million rows become
    a few dozen, and every count, hence every rate, is unchanged. Fairlearn's MetricFrame spends
    its time slicing rows per group (bench/results/fairness.md), not in the metrics.
    Regression rows cannot collapse and are returned as they are, with no weights."""
    if kind == "regression":
        return y, p, groups, None
    cols = list(groups.columns)
    frame = groups.assign(_y=y, _p=p)
    cells = frame.groupby([*cols, "_y", "_p"], observed=True, sort=False, dropna=False).size()
    cells = cells[cells > 0].reset_index(name="_w")
    for c in cols:  # keep the bands' order
        if isinstance(groups[c].dtype, pd.CategoricalDtype):
            cells[c] = pd.Categorical(cells[c], categories=groups[c].cat.categories)
    return (cells["_y"].to_numpy(), cells["_p"].to_numpy(), cells[cols].reset_index(drop=True),
            cells["_w"].to_numpy(dtype=float))


def group_frame(metrics: dict, y, p, sf, weights) -> MetricFrame:
    """Fairlearn's MetricFrame on (possibly collapsed) rows, the weights passed to every metric."""
    params = None if weights is None else {m: {"sample_weight": weights} for m in metrics}
    return MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf, sample_params=params)


# --- the rows and the groups -----------------------------------------------------------------

def bands(values: pd.Series, edges: list[float] | None = None) -> pd.Series:
    """Numbers as readable bands ('25–34'); quantile edges unless given. Missing stays 'missing'."""
    numeric = pd.to_numeric(values, errors="coerce")
    if edges is None:
        edges = _quantile_edges(numeric)
    cuts = [-np.inf, *edges, np.inf]
    labels = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        if lo == -np.inf:
            labels.append(f"< {hi:g}")
        elif hi == np.inf:
            labels.append(f"≥ {lo:g}")
        else:
            labels.append(f"{lo:g}–{hi:g}")
    out = pd.cut(numeric, cuts, labels=labels, right=False)  # categories keep the bands in order
    return out.cat.add_categories(["missing"]).fillna("missing").cat.remove_unused_categories()


def _quantile_edges(numeric: pd.Series) -> list[float]:
    qs = numeric.dropna().quantile(np.linspace(0, 1, BANDS + 1)[1:-1]).round().unique()
    return sorted(float(q) for q in qs)


def _banded(values: pd.Series, col: str, edges: dict) -> bool:
    return pd.api.types.is_numeric_dtype(values) and (col in edges or values.nunique(dropna=True) > 10)


def parse_edges(column: str, text: str) -> list[float]:
    """Band edges as people type them ('25, 35, 50'), sorted; a clear error otherwise."""
    try:
        edges = sorted({float(x) for x in str(text).replace(";", ",").split(",") if x.strip()})
    except ValueError:
        edges = []
    if not edges:
        raise InvalidInput(code="bad_band_edges", value=text, msg="bad_band_edges", item=f"{column}={text}")
    return edges


def band_edges(frame: pd.DataFrame, features: list[str], edges: dict) -> dict:
    """The band edges each banded column gets (the given ones, else quartiles of these rows), so
    that other rows (a scored file) can be banded the same way."""
    return {col: edges.get(col) or _quantile_edges(pd.to_numeric(frame[col], errors="coerce"))
            for col in features if _banded(frame[col], col, edges)}


def group_labels(frame: pd.DataFrame, features: list[str], edges: dict) -> pd.DataFrame:
    out = {}
    for col in features:
        values = frame[col]
        if _banded(values, col, edges):
            out[col] = bands(values, edges.get(col))
        else:
            out[col] = values.astype(str).where(values.notna(), "missing")
    return pd.DataFrame(out, index=frame.index)


def check_features(run: RunRecord, frame: pd.DataFrame, features: list[str], edges: dict) -> None:
    for col in features:
        if col not in frame.columns or col == run.target:
            known = [c for c in frame.columns if c != run.target]
            raise InvalidInput(code="fairness_column_not_found", value=col, msg="fairness_column_not_found",
                               column=col, known=", ".join(known))
        values = frame[col]
        if values.notna().sum() == 0:
            raise InvalidInput(code="fairness_column_empty", value=col, msg="fairness_column_empty", column=col)
        distinct = values.nunique(dropna=True)
        if distinct < 2:
            raise InvalidInput(code="fairness_column_constant", value=col, msg="fairness_column_constant", column=col,
                               only=str(values.dropna().iloc[0]))
        if not pd.api.types.is_numeric_dtype(values) and distinct > MAX_GROUPS:
            raise InvalidInput(code="fairness_too_many_groups", value=col, msg="fairness_too_many_groups", column=col,
                               distinct=distinct, limit=MAX_GROUPS)


def _rows(run: RunRecord, data_path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
    """The rows analysed (every column, for the sensitive ones), the truth, the predictions, where from."""
    if data_path is None:
        labelled = artifacts.labelled_rows(run)
        frame = labelled.loc[artifacts.holdout_rows(run)].reset_index(drop=True)
        pred = evaluation.predictions(run)
        y = pred["y_true"].to_numpy()
        scores = pred
        source = "holdout"
    else:
        from core.serving import scoring

        frame = scoring.read_input(data_path)
        if run.target not in frame.columns:
            raise InvalidInput(code="fairness_no_outcome", value=str(data_path), msg="fairness_no_outcome",
                               target=run.target)
        frame = frame[frame[run.target].notna()].reset_index(drop=True)
        columns = scoring.check_columns(run, frame)
        predictor, model = artifacts.model_for_use(run)
        X = frame[columns["features"]]
        if run.problem_type == "regression":
            scores = pd.DataFrame({"y_pred": predictor.predict(X, model=model).to_numpy()})
        else:
            proba = predictor.predict_proba(X, model=model)
            scores = pd.DataFrame({f"p_{c}": proba[c].to_numpy() for c in proba.columns})
            scores["y_pred"] = proba.idxmax(axis=1).to_numpy()
            frame[run.target] = as_classes(frame[run.target], [str(c) for c in proba.columns], data_path)
        y = frame[run.target].to_numpy()
        source = "labeled_file"
    if run.problem_type == "regression":
        return frame, y.astype(float), scores["y_pred"].to_numpy().astype(float), source
    if run.problem_type == "binary":
        positive = artifacts.positive_class(run)
        return (frame, pd.Series(y).astype(str).to_numpy() == positive,
                scores[f"p_{positive}"].to_numpy() >= run.threshold, source)
    return frame, pd.Series(y).astype(str).to_numpy(), scores["y_pred"].astype(str).to_numpy(), source


def as_classes(values: pd.Series, classes: list[str], path) -> pd.Series:
    """The file's outcomes as the model's class labels: '1.0' read from a file is the class '1';
    anything else unknown is refused with the values named."""
    def number(text):
        try:
            return float(text)
        except ValueError:
            return None

    numeric = {number(c): c for c in classes if number(c) is not None}
    labels = values.astype(str).map(lambda v: v if v in classes else numeric.get(number(v), v))
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise InvalidInput(code="fairness_unknown_outcomes", value=unknown, msg="fairness_unknown_outcomes",
                           path=str(path), values=", ".join(repr(v) for v in unknown[:5]),
                           classes=", ".join(repr(c) for c in classes))
    return labels


# --- intervals -----------------------------------------------------------------------------------

def _count_draws(y, p, w, rng, resamples):
    """Poisson-bootstrap draws of one group's confusion counts: four arrays of `resamples`."""
    cells = [np.sum(w[y & p]), np.sum(w[~y & p]), np.sum(w[y & ~p]), np.sum(w[~y & ~p])]
    return [rng.poisson(c, resamples).astype(float) for c in cells]


def _draws(kind, y, p, rng, resamples, weights=None) -> dict[str, np.ndarray]:
    """Bootstrap draws of every metric for one group (NaN where a draw leaves a rate undefined);
    `weights` are the counts of collapsed classification rows."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = _weights(y, weights)
        if kind == "binary":
            counts = _count_draws(y, p, w, rng, resamples)
            return {m: f(*counts) for m, f in FROM_COUNTS.items()}
        if kind == "multiclass":
            right = rng.poisson(np.sum(w[y == p]), resamples).astype(float)
            wrong = rng.poisson(np.sum(w[y != p]), resamples).astype(float)
            return {"accuracy": right / (right + wrong)}
        w = rng.poisson(1.0, (resamples, len(y))).astype(float)
        n = w.sum(axis=1)
        err = p - y
        return {"mean_prediction": w @ p / n, "mean_actual": w @ y / n,
                "mean_absolute_error": w @ np.abs(err) / n, "root_mean_squared_error": np.sqrt(w @ (err ** 2) / n)}


def _interval(draws: np.ndarray) -> list[float | None]:
    ok = draws[np.isfinite(draws)]
    if len(ok) < 0.9 * len(draws):
        return [None, None]
    return [float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5))]


# --- the analysis ----------------------------------------------------------------------------------

def compute(run: RunRecord, *, sensitive: list[str] | None = None, data_path=None, reference: dict | None = None,
            edges: dict | None = None, resamples: int = RESAMPLES) -> dict:
    """Group metrics, intersections, differences to a reference group, Fairlearn's summary
    differences and ratios, intervals and small-group warnings. Reads only."""
    evaluation.require_model(run, "analyse")
    features = list(dict.fromkeys(sensitive or run.sensitive))
    if not features:
        raise InvalidInput(code="fairness_no_sensitive", value=run.run_id, msg="fairness_no_sensitive",
                           run_id=run.run_id)
    edges = edges or {}
    frame, y, p, source = _rows(run, data_path)
    check_features(run, frame, features, edges)
    edges = band_edges(frame, features, edges)  # the edges used, stored so they can be edited
    groups = group_labels(frame, features, edges)
    kind = run.problem_type
    metrics = BINARY if kind == "binary" else MULTICLASS if kind == "multiclass" else REGRESSION
    rng = np.random.default_rng(SEED)
    sets = [[f] for f in features] + [list(pair) for pair in itertools.combinations(features, 2)]
    by_group, summaries = [], []
    n_rows = len(y)
    y, p, groups, weights = collapse(kind, y, p, groups)
    overall = group_frame(metrics, y, p, groups[features[0]], weights).overall
    for cols in sets:
        sf = groups[cols] if len(cols) > 1 else groups[cols[0]]
        frame_m = group_frame(metrics, y, p, sf, weights)
        table = frame_m.by_group.reset_index()
        table = table.iloc[sorted(range(len(table)), key=lambda i: tuple(_rank(groups[c], table.iloc[i][c]) for c in cols))]
        ref = _reference(table, cols, reference)
        rows = []
        ref_draws = None
        for _, r in table.iterrows():
            key = {c: str(r[c]) for c in cols}
            mask = np.logical_and.reduce([groups[c].to_numpy() == key[c] for c in cols])
            draws = _draws(kind, y[mask], p[mask], rng, resamples, None if weights is None else weights[mask])
            row = {"group": key, "features": cols, **{m: clean(r[m]) for m in metrics},
                   "intervals": {m: _interval(d) for m, d in draws.items()}, "_draws": draws,
                   "reference": key == ref}
            if key == ref:
                ref_draws = draws
            rows.append(row)
        for row in rows:
            row["difference"], row["ratio"], row["difference_interval"] = {}, {}, {}
            for m in row["intervals"]:
                ref_row = next(x for x in rows if x["reference"])
                if row[m] is not None and ref_row[m] is not None:
                    row["difference"][m] = row[m] - ref_row[m]
                    row["ratio"][m] = row[m] / ref_row[m] if ref_row[m] else None
                    row["difference_interval"][m] = _interval(row["_draws"][m] - ref_draws[m])
            row["warning"] = _small(row, kind)
        summary = _summary(kind, y, p, sf, cols, rows, weights)
        summary["gap"] = _gap(rows, MAIN[kind])
        summaries.append(summary)
        by_group += rows
    for row in by_group:
        del row["_draws"]
    return {"run_id": run.run_id, "problem_type": kind, "sensitive": features, "source": source,
            "dataset_id": run.dataset_id, "target": run.target,
            "rows": int(n_rows), "threshold": run.threshold if kind == "binary" else None,
            "positive_label": artifacts.positive_class(run) if kind == "binary" else None,
            "model": run.chosen_model, "reference": reference, "edges": edges, "resamples": resamples,
            "overall": {m: clean(v) for m, v in overall.items()}, "by_group": by_group, "by_feature": summaries,
            "proxies": proxies(artifacts.labelled_rows(run) if data_path is None else frame, features,
                               run.features_used),
            **(summaries[0]["measures"] if summaries else {})}


def _gap(rows: list[dict], metric: str) -> dict | None:
    """The groups treated most and least favourably on the main metric, the gap between them and
    its 95% interval (from the same bootstrap draws)."""
    rows = [r for r in rows if r[metric] is not None]
    if len(rows) < 2:
        return None
    hi, lo = max(rows, key=lambda r: r[metric]), min(rows, key=lambda r: r[metric])
    return {"metric": metric, "high": hi["group"], "low": lo["group"], "value": hi[metric] - lo[metric],
            "interval": _interval(hi["_draws"][metric] - lo["_draws"][metric])}


def _rank(values: pd.Series, value) -> tuple:
    """Bands in their numeric order, other groups alphabetically, 'missing' last."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return (list(values.cat.categories).index(value),)
    return (str(value) == "missing", str(value))


def clean(value):
    value = float(value) if value is not None else None
    return None if value is None or not np.isfinite(value) else value


def _reference(table: pd.DataFrame, cols: list[str], reference: dict | None) -> dict:
    """The group others are compared with: the one the user picked, else the largest."""
    if reference and all(c in reference for c in cols):
        wanted = {c: str(reference[c]) for c in cols}
        if any(all(str(r[c]) == wanted[c] for c in cols) for _, r in table.iterrows()):
            return wanted
        raise InvalidInput(code="fairness_unknown_reference", value=str(reference), msg="fairness_unknown_reference",
                           group=", ".join(f"{c}={v}" for c, v in wanted.items()))
    top = table.sort_values("count", ascending=False).iloc[0]
    return {c: str(top[c]) for c in cols}


def _small(row: dict, kind: str) -> str | None:
    """Why a group's numbers cannot carry a conclusion, if they cannot."""
    if row["count"] < MIN_GROUP:
        return "too_few_rows"
    main = MAIN[kind]
    low, high = row["difference_interval"].get(main, [None, None])
    diff = row["difference"].get(main)
    if not row["reference"] and low is not None and diff is not None and (high - low) > 2 * abs(diff):
        return "interval_wider_than_gap"
    return None


def _summary(kind, y, p, sf, cols, rows, weights=None) -> dict:
    """Fairlearn's own summary numbers for one feature (or one intersection)."""
    measures = {}
    if kind == "binary":
        given = {"sensitive_features": sf, "sample_weight": weights}
        measures = {
            "demographic_parity_difference": demographic_parity_difference(y, p, **given),
            "demographic_parity_ratio": demographic_parity_ratio(y, p, **given),
            "equalized_odds_difference": equalized_odds_difference(y, p, **given),
            "equalized_odds_ratio": equalized_odds_ratio(y, p, **given),
            "equal_opportunity_difference": equal_opportunity_difference(y, p, **given),
        }
    elif kind == "multiclass":
        values = [r["accuracy"] for r in rows if r["accuracy"] is not None]
        measures = {"accuracy_difference": max(values) - min(values)}
    else:
        values = [r["mean_absolute_error"] for r in rows if r["mean_absolute_error"] is not None]
        measures = {"mean_absolute_error_difference": max(values) - min(values)}
    return {"features": cols, "measures": {k: clean(v) for k, v in measures.items()}}


PROXY_MIN = 0.2  # Cramér's V from which a column is listed as linked with a sensitive one
PROXY_WORDS = ((0.5, "strong"), (0.3, "moderate"), (PROXY_MIN, "weak"))


def proxies(frame: pd.DataFrame, sensitive: list[str], inputs: list[str]) -> list[dict]:
    """Model inputs associated with a sensitive column (Cramér's V on the labelled rows; numbers in
    quartile bands): through them a model can treat groups differently without the column itself."""
    from scipy.stats.contingency import association

    def categories(values: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
            return bands(values).astype(str)
        return values.astype(str).where(values.notna(), "missing")

    out = []
    for feature in sensitive:
        s = categories(frame[feature])
        for col in inputs:
            if col == feature or col not in frame.columns or frame[col].nunique() > 200:
                continue
            table = pd.crosstab(s, categories(frame[col])).to_numpy()
            if min(table.shape) < 2:
                continue
            v = float(association(table, method="cramer"))
            if v >= PROXY_MIN:
                word = next(w for limit, w in PROXY_WORDS if v >= limit)
                out.append({"sensitive": feature, "column": col, "cramers_v": v, "strength": word})
    return sorted(out, key=lambda p: (p["sensitive"], -p["cramers_v"]))


@action("check_fairness", obj="run_id")
def analyse(run_id: str, *, sensitive: list[str] | None = None, data_path=None, reference: dict | None = None,
            edges: dict | None = None, user: str | None = None) -> dict:
    """Compute the analysis and store it with its settings (who, when); the stored result."""
    run = views.load(run_id)
    result = compute(run, sensitive=sensitive, data_path=data_path, reference=reference, edges=edges)
    settings = {"sensitive": result["sensitive"], "data": str(data_path) if data_path else None,
                "reference": reference, "edges": edges or {}, "resamples": result["resamples"]}
    return store(run_id, "groups", settings, result, user)


def store(run_id: str, kind: str, settings: dict, result: dict, user: str | None) -> dict:
    analysis_id = f"fair_{int(time.time() * 1000)}_{run_id[-4:]}"
    with db.transaction() as con:
        con.execute("INSERT INTO fairness_analyses (analysis_id, run_id, kind, settings, result, created_by) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [analysis_id, run_id, kind, json.dumps(settings), json.dumps(result),
                                                  user or config.default_user()])
    return {"analysis_id": analysis_id, **result}


def latest(run_id: str, kind: str = "groups") -> dict | None:
    """The run's most recent stored analysis of this kind (None if there is none). Reads only."""
    with db.connect() as con:
        row = con.execute("SELECT analysis_id, result, created_by, created_at FROM fairness_analyses "
                          "WHERE run_id = ? AND kind = ? ORDER BY created_at DESC, analysis_id DESC LIMIT 1",
                          [run_id, kind]).fetchone()
    if row is None:
        return None
    return {"analysis_id": row[0], **json.loads(row[1]), "created_by": row[2],
            "created_at": row[3].isoformat(timespec="seconds")}
