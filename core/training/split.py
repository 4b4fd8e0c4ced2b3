"""The holdout split: the one rule the worker and every exported script use (the exported
script carries this function's source, so the split cannot drift between the two)."""


def holdout_split(data, label: str, problem_type: str, holdout: float, seed: int):
    """Rows with a known outcome, split into training and holdout rows; classes keep their shares
    in both when every class has at least two rows."""
    from sklearn.model_selection import train_test_split

    data = data[data[label].notna()].reset_index(drop=True)
    stratify = None
    if problem_type != "regression" and data[label].value_counts().min() >= 2:
        stratify = data[label]
    return train_test_split(data, test_size=holdout, random_state=seed, stratify=stratify)
