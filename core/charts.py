"""Altair charts built from stored results (pure functions, testable without Streamlit)."""

import altair as alt
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
