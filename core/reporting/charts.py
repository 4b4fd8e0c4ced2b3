"""Altair charts built from stored results (pure functions, testable without Streamlit)."""

import altair as alt
import numpy as np
import pandas as pd


def column_chart(col: dict, *, title: str, count_label: str = "rows") -> alt.Chart | None:
    """A histogram for a continuous number, a bar of top values otherwise; None if nothing to draw."""
    if col.get("histogram"):
        df = pd.DataFrame(col["histogram"])
        return (
            alt.Chart(df, title=title)
            .mark_bar(color="#4c78a8")
            .encode(
                x=alt.X("bin_start:Q", bin="binned", title=col["name"]),
                x2="bin_end:Q",
                y=alt.Y("count:Q", title=count_label),
                tooltip=[
                    alt.Tooltip("bin_start:Q", title="from", format=",.4~g"),
                    alt.Tooltip("bin_end:Q", title="to", format=",.4~g"),
                    alt.Tooltip("count:Q", title=count_label, format=","),
                ],
            )
            .properties(height=chart_height(col) - 70)
        )
    if col.get("top_values") and col["type"] == "number":
        df = pd.DataFrame(col["top_values"]).assign(order=lambda d: d["value"].astype(float))
        return (
            alt.Chart(df, title=title)
            .mark_bar(color="#4c78a8")
            .encode(
                x=alt.X("value:O", sort=alt.EncodingSortField("order"), title=col["name"],
                        axis=alt.Axis(labelAngle=0)),
                y=alt.Y("count:Q", title=count_label),
                tooltip=[alt.Tooltip("value:N", title=col["name"]),
                         alt.Tooltip("count:Q", title=count_label, format=",")],
            )
            .properties(height=chart_height(col) - 70)
        )
    if col.get("top_values"):
        df = pd.DataFrame(col["top_values"])
        return (
            alt.Chart(df, title=title)
            .mark_bar(color="#72b7b2")
            .encode(
                y=alt.Y("value:N", sort="-x", title=col["name"], axis=alt.Axis(labelLimit=220)),
                x=alt.X("count:Q", title=count_label),
                tooltip=[alt.Tooltip("value:N", title=col["name"]),
                         alt.Tooltip("count:Q", title=count_label, format=",")],
            )
            .properties(height=chart_height(col) - 120)
        )
    return None


def chart_height(col: dict) -> int:
    """Pixel height that gives each bar room for its label."""
    if col.get("histogram") or col["type"] == "number":
        return 240
    return 130 + 28 * max(2, len(col.get("top_values", [])))


def columns_table(columns: list[dict]) -> pd.DataFrame:
    """One row per column for the profile table."""
    rows = []
    for c in columns:
        rows.append({
            "column": c["name"],
            "type": c["type"],
            "missing_share": c["missing_share"],
            "distinct": c["distinct"],
            "min": None if c.get("min") is None else str(c["min"]),
            "max": None if c.get("max") is None else str(c["max"]),
            "mean": c.get("mean"),
            "storage_type": c["storage_type"],
        })
    return pd.DataFrame(rows)


def confusion_chart(cells: list[dict], *, title: str, x_title: str = "predicted", y_title: str = "actual") -> alt.Chart:
    """Heatmap of actual vs predicted with counts and shares; cells: actual, predicted, count."""
    df = pd.DataFrame(cells)
    df["share"] = df["count"] / max(int(df["count"].sum()), 1)
    base = alt.Chart(df, title=title).encode(
        x=alt.X("predicted:N", title=x_title), y=alt.Y("actual:N", title=y_title))
    heat = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["actual:N", "predicted:N", alt.Tooltip("count:Q", format=","),
                 alt.Tooltip("share:Q", format=".1%")])
    text = base.mark_text(fontSize=14).encode(text=alt.Text("label:N")).transform_calculate(
        label="format(datum.count, ',') + ' (' + format(datum.share, '.0%') + ')'")
    return (heat + text).properties(height=260)


def curve_chart(x: list, y: list, *, title: str, x_title: str, y_title: str, diagonal: bool = True) -> alt.Chart:
    df = pd.DataFrame({"x": x, "y": y})
    line = alt.Chart(df, title=title).mark_line(color="#4c78a8").encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("y:Q", title=y_title, scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("x:Q", title=x_title, format=".2f"), alt.Tooltip("y:Q", title=y_title, format=".2f")])
    if not diagonal:
        return line.properties(height=260)
    ref = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(strokeDash=[4, 4], color="#999").encode(
        x="x:Q", y="y:Q")
    return (line + ref).properties(height=260)


def value_chart(table: list[dict], *, threshold: float, title: str, y_title: str,
                x_title: str = "threshold") -> alt.Chart:
    df = pd.DataFrame(table)
    line = alt.Chart(df, title=title).mark_line(color="#54a24b").encode(
        x=alt.X("threshold:Q", title=x_title), y=alt.Y("value_per_1000:Q", title=y_title),
        tooltip=[alt.Tooltip("threshold:Q", format=".2f"), alt.Tooltip("value_per_1000:Q", format=",.0f")])
    rule = alt.Chart(pd.DataFrame({"threshold": [threshold]})).mark_rule(color="#e45756").encode(x="threshold:Q")
    return (line + rule).properties(height=240)


def scatter_chart(actual: list, predicted: list, *, title: str, x_title: str = "actual",
                  y_title: str = "predicted") -> alt.Chart:
    df = pd.DataFrame({"actual": actual, "predicted": predicted})
    lo, hi = float(min(df.min())), float(max(df.max()))
    dots = alt.Chart(df, title=title).mark_circle(size=18, opacity=0.5).encode(
        x=alt.X("actual:Q", title=x_title), y=alt.Y("predicted:Q", title=y_title),
        tooltip=[alt.Tooltip("actual:Q", title=x_title), alt.Tooltip("predicted:Q", title=y_title)])
    ref = alt.Chart(pd.DataFrame({"actual": [lo, hi], "predicted": [lo, hi]})).mark_line(
        strokeDash=[4, 4], color="#999").encode(x="actual:Q", y="predicted:Q")
    return (dots + ref).properties(height=300)


def bars_chart(rows: list[dict], *, x: str, y: str, title: str, color: str = "#4c78a8",
               x_title: str | None = None, y_title: str | None = None, across: bool = False) -> alt.Chart:
    """One bar per `x` of height `y`. `across`: bars lie across, largest first, so long names
    (models) keep every label instead of dropping those that would overlap."""
    df = pd.DataFrame(rows)
    tooltip = [f"{x}:N", alt.Tooltip(f"{y}:Q", format=".3g")]
    if across:
        return alt.Chart(df, title=title).mark_bar(color=color).encode(
            y=alt.Y(f"{x}:N", sort="-x", title=x_title, axis=alt.Axis(labelLimit=240)),
            x=alt.X(f"{y}:Q", title=y_title), tooltip=tooltip).properties(height=alt.Step(22))
    return alt.Chart(df, title=title).mark_bar(color=color).encode(
        x=alt.X(f"{x}:O", axis=alt.Axis(labelAngle=0), title=x_title), y=alt.Y(f"{y}:Q", title=y_title),
        tooltip=tooltip).properties(height=240)


def importance_chart(rows: list[dict], *, title: str, x_title: str) -> alt.Chart:
    """Permutation importance per feature, with its confidence interval as a line."""
    df = pd.DataFrame(rows)
    order = df.sort_values("importance", ascending=False)["feature"].tolist()
    base = alt.Chart(df, title=title).encode(y=alt.Y("feature:N", sort=order, title=None))
    bars = base.mark_bar(color="#4c78a8").encode(
        x=alt.X("importance:Q", title=x_title),
        tooltip=["feature:N", alt.Tooltip("importance:Q", format=".4f"), alt.Tooltip("low:Q", format=".4f"),
                 alt.Tooltip("high:Q", format=".4f")])
    interval = base.mark_rule(color="#333").encode(x="low:Q", x2="high:Q")
    return (bars + interval).properties(height=alt.Step(22))


def contributions_chart(rows: list[dict], *, title: str, x_title: str) -> alt.Chart:
    """SHAP contributions: bars right push the prediction up, bars left push it down."""
    df = pd.DataFrame(rows).head(12)
    df["value"] = df["value"].astype(str)  # numbers and words in one column: Arrow needs one type
    df["label"] = df["feature"] + " = " + df["value"]
    df["direction"] = np.where(df["contribution"] >= 0, "up", "down")
    return alt.Chart(df, title=title).mark_bar().encode(
        y=alt.Y("label:N", sort=df["label"].tolist(), title=None),
        x=alt.X("contribution:Q", title=x_title),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["up", "down"], range=["#e45756", "#4c78a8"]),
                        legend=None),
        tooltip=["feature:N", "value:N", alt.Tooltip("contribution:Q", format="+.4f")],
    ).properties(height=alt.Step(22))


def distribution_chart(groups: dict[str, list[float]], *, title: str, x_title: str, bins: int = 20,
                       count_title: str = "rows") -> alt.Chart:
    """Overlaid histograms, one per group (e.g. predicted chance for each actual outcome)."""
    df = pd.concat([pd.DataFrame({"value": values, "group": name}) for name, values in groups.items()],
                   ignore_index=True)
    return alt.Chart(df, title=title).mark_bar(opacity=0.55).encode(
        x=alt.X("value:Q", bin=alt.Bin(maxbins=bins), title=x_title),
        y=alt.Y("count():Q", stack=None, title=count_title),
        color=alt.Color("group:N", title=None),
        tooltip=["group:N", alt.Tooltip("count():Q", title=count_title)],
    ).properties(height=240)


def compare_chart(rows: list[dict], *, title: str, x_title: str, fmt: str = ",.0f",
                  against_baseline: bool = True) -> alt.Chart:
    """Horizontal bars with their value written on them; rows: label, value.

    against_baseline: the first row is the model (blue), the second the naive guess (grey).
    """
    df = pd.DataFrame(rows)
    colors = ["#4c78a8", "#bab0ac"] if against_baseline else ["#4c78a8"] * len(df)
    base = alt.Chart(df, title=title).encode(y=alt.Y("label:N", sort=df["label"].tolist(), title=None,
                                                     axis=alt.Axis(labelLimit=240)))
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", title=x_title),
        color=alt.Color("label:N", scale=alt.Scale(domain=df["label"].tolist(), range=colors), legend=None),
        tooltip=["label:N", alt.Tooltip("value:Q", format=fmt)])
    text = base.mark_text(align="left", dx=4).encode(x="value:Q", text=alt.Text("value:Q", format=fmt))
    return (bars + text).properties(height=alt.Step(34))


def waffle_chart(counts: dict[str, int], *, title: str, colors: list[str]) -> alt.Chart:
    """100 squares, one per case out of 100, coloured by what happens to it (natural frequencies)."""
    cells = [name for name, n in counts.items() for _ in range(n)]
    df = pd.DataFrame({"what": cells, "i": range(len(cells))})
    df["row"], df["col"] = df["i"] // 10, df["i"] % 10
    return alt.Chart(df, title=title).mark_rect(stroke="white", strokeWidth=3).encode(
        x=alt.X("col:O", axis=None, scale=alt.Scale(paddingInner=0)),
        y=alt.Y("row:O", axis=None, scale=alt.Scale(paddingInner=0)),
        color=alt.Color("what:N", sort=list(counts), scale=alt.Scale(domain=list(counts), range=colors),
                        legend=alt.Legend(title=None, orient="right", labelLimit=260)),
        tooltip=["what:N"],
    ).properties(width=220, height=220)


def reliance_chart(rows: list[dict], *, title: str, x_title: str) -> alt.Chart:
    """How much the model leans on each column, the biggest at 100."""
    df = pd.DataFrame(rows)
    return alt.Chart(df, title=title).mark_bar(color="#4c78a8").encode(
        y=alt.Y("feature:N", sort=df["feature"].tolist(), title=None),
        x=alt.X("relative:Q", title=x_title, scale=alt.Scale(domain=[0, 100])),
        tooltip=["feature:N", "relative:Q"]).properties(height=alt.Step(24))


def group_chart(rows: list[dict], *, title: str, x_title: str, percent: bool = True) -> alt.Chart:
    """One bar per group with its 95% interval as a line; the reference group in a darker colour.
    rows: {"group", "value", "low", "high", "reference"}."""
    data = pd.DataFrame(rows)
    scale = 100 if percent else 1
    for col in ("value", "low", "high"):
        data[col] = data[col].astype(float) * scale
    fmt = ".0f" if percent else ",.3~g"
    base = alt.Chart(data).encode(y=alt.Y("group:N", sort=None, title=None, axis=alt.Axis(labelLimit=240)))
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", title=x_title),
        color=alt.condition("datum.reference", alt.value("#1f4e79"), alt.value("#6fa8dc")),
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip("value:Q", format=fmt), alt.Tooltip("low:Q", format=fmt),
                 alt.Tooltip("high:Q", format=fmt)])
    whiskers = base.mark_rule(color="#333").encode(x="low:Q", x2="high:Q")
    return (bars + whiskers).properties(title=title, height=alt.Step(34))  # a fixed height is squeezed by Streamlit


def tradeoff_chart(points: list[dict], *, title: str, x_title: str, y_title: str) -> alt.Chart:
    """Accuracy against the fairness gap for each decision rule: up and to the left is better.
    points: {"rule", "accuracy", "gap"} (rates, shown out of 100)."""
    data = pd.DataFrame(points).assign(accuracy=lambda d: 100 * d["accuracy"], gap=lambda d: 100 * d["gap"])
    data["first"] = data.index == 0
    base = alt.Chart(data).encode(x=alt.X("gap:Q", title=x_title, scale=alt.Scale(zero=True)),
                                  y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(zero=False),
                                          axis=alt.Axis(format=".1f")))
    dots = base.mark_circle(size=160).encode(color=alt.Color("rule:N", title=None),
                                             tooltip=["rule:N", alt.Tooltip("accuracy:Q", format=".1f"),
                                                      alt.Tooltip("gap:Q", format=".1f")])
    # labels above the first rule and below the others, so rules that coincide stay readable
    above = base.mark_text(dx=10, dy=-10, align="left").encode(text="rule:N").transform_filter("datum.first")
    below = base.mark_text(dx=10, dy=10, align="left").encode(text="rule:N").transform_filter("!datum.first")
    return (dots + above + below).properties(title=title, height=260)


# Dates with the time, so one batch or batches of one day do not read as ":20".
WHEN_AXIS = alt.Axis(format="%Y-%m-%d %H:%M", labelAngle=0, labelOverlap=True)


def psi_chart(points: list[dict], *, title: str, x_title: str, y_title: str) -> alt.Chart:
    """Each column's PSI over the scored batches, with the 0.1 and 0.25 bands drawn as rules.
    points: {"when", "column", "psi"}."""
    data = pd.DataFrame(points)
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("when:T", title=x_title, axis=WHEN_AXIS), y=alt.Y("psi:Q", title=y_title),
        color=alt.Color("column:N", title=None),
        tooltip=["column:N", alt.Tooltip("when:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("psi:Q", format=".3f")])
    bands = alt.Chart(pd.DataFrame({"psi": [0.1, 0.25]})).mark_rule(strokeDash=[4, 4], color="#c0392b").encode(y="psi:Q")
    return (bands + lines).properties(title=title, height=280)


def over_time_chart(points: list[dict], *, title: str, x_title: str, y_title: str) -> alt.Chart:
    """Lines over the scored batches: points {"when", "series", "value"}."""
    data = pd.DataFrame(points)
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("when:T", title=x_title, axis=WHEN_AXIS), y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", title=None),
        tooltip=["series:N", alt.Tooltip("when:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("value:Q", format=".3f")],
    ).properties(title=title, height=260)
