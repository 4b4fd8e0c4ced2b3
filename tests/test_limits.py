"""Limits are settings with defaults, and a refusal names the limit, the value and what to do."""

import pytest

from core.data import datasets
from core.foundation.errors import InvalidInput
from core.training import lifecycle
from core.training.spec import RunSpec


def test_a_file_wider_than_the_column_limit_is_refused(tmp_path, monkeypatch, snapshot):
    monkeypatch.setenv("COMMONGROUND_MAX_COLUMNS", "5")
    wide = tmp_path / "wide.csv"
    wide.write_text("a,b,c,d,e,f\n" + "1,2,3,4,5,6\n" * 3)
    before = snapshot()
    with pytest.raises(InvalidInput, match=r"'wide.csv' has 6 columns; the limit is 5 \(COMMONGROUND_MAX_COLUMNS\)"):
        datasets.add(wide)
    assert snapshot() == before
    monkeypatch.setenv("COMMONGROUND_MAX_COLUMNS", "6")
    assert datasets.add(wide)["rows"] == 3


def test_a_run_needs_free_disk_before_it_starts(tmp_path, monkeypatch, snapshot):
    small = tmp_path / "small.csv"
    small.write_text("x,y\n" + "".join(f"{(i * 7) % 5},{i % 2}\n" for i in range(50)))
    dataset = datasets.add(small)["dataset_id"]
    monkeypatch.setenv("COMMONGROUND_MIN_FREE_DISK_GB", "1000000")
    before = snapshot()
    with pytest.raises(InvalidInput, match=r"GB of disk is free in .*; a run needs at least 1e\+06 GB there"):
        lifecycle.start(RunSpec(dataset, "y", quality="fast", time_limit=10))
    assert snapshot() == before
