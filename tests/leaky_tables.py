"""Small tables with one leak pattern each, and a clean one, for the leakage and personal-data tests."""

import numpy as np
import pandas as pd

FIRST = ["Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Heitor", "Iris", "João", "Karen",
         "Lucas", "Marta", "Nuno", "Olga", "Paulo", "Rita", "Sérgio", "Tânia", "Vítor", "Mary", "John", "Ahmed"]
LAST = ["Silva", "Souza", "Costa", "Pereira", "Lima", "Almeida", "Ferreira", "Gomes", "Ribeiro", "Carvalho",
        "Smith", "O'Brien", "Nguyen", "Müller", "Okafor", "Tanaka", "García", "Rossi"]
STREETS = ["Rua das Flores", "Av. Paulista", "Main Street", "Oak Avenue", "Rua Augusta", "Elm Road", "Baker St"]


def people(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """A follow-up study: honest inputs, a weak signal, and the outcome `died`."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, n)
    dose = rng.choice(["low", "mid", "high"], n)
    weight = rng.normal(75, 12, n).round(1)
    risk = (age - 55) / 15 + (dose == "high") * 0.5 + rng.normal(0, 1.2, n)
    died = np.where(risk > 0.6, "yes", "no")
    return pd.DataFrame({"age": age, "dose": dose, "weight": weight, "died": died})


def after_the_outcome(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Columns recorded after the outcome: the date and kind of a later event exist only for deaths,
    a follow-up count is non-zero only for survivors, and a follow-up flag says it all."""
    rng = np.random.default_rng(seed)
    df = people(n, seed)
    dead = (df["died"] == "yes").to_numpy()
    start = pd.Timestamp("2015-01-01")
    event_date = start + pd.to_timedelta(rng.integers(30, 2000, n), unit="D")
    df["death_date"] = pd.Series(event_date.strftime("%Y-%m-%d")).where(dead)
    df["death_cause"] = pd.Series(rng.choice(["heart", "cancer", "other"], n)).where(dead)
    df["visits_after"] = np.where(dead, 0, rng.integers(1, 12, n))
    return df


def strong_proxy(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """One column that almost always says the outcome (a follow-up status with a few typing errors)."""
    rng = np.random.default_rng(seed)
    df = people(n, seed)
    status = np.where(df["died"] == "yes", "closed", "open")
    flip = rng.random(n) < 0.04
    status[flip] = np.where(status[flip] == "closed", "open", "closed")
    df["file_status"] = status
    return df


def copy_of_target(n: int = 800, seed: int = 0) -> pd.DataFrame:
    df = people(n, seed)
    df["outcome_code"] = np.where(df["died"] == "yes", 1, 2)
    return df


def related_names(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """A flagged follow-up date, and a second follow-up column that is weaker on its own."""
    rng = np.random.default_rng(seed)
    df = after_the_outcome(n, seed)[["age", "dose", "weight", "died", "death_date"]]
    df = df.rename(columns={"death_date": "followup_end"})
    noisy = np.where(df["died"] == "yes", "hospital", rng.choice(["home", "hospital"], n, p=[0.7, 0.3]))
    df["followup_place"] = noisy
    return df


def personal(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """One column of each personal-data kind, next to honest inputs."""
    rng = np.random.default_rng(seed)
    df = people(n, seed)
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    df["patient"] = [f"{f} {m} {s}" for f, m, s in zip(first, rng.choice(LAST, n), last)]
    df["contact"] = [f"{f.lower()}.{i}@example.org" for i, f in enumerate(first)]
    df["tel"] = [f"+55 11 9{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)}" for _ in range(n)]
    df["home"] = [f"{rng.choice(STREETS)}, {rng.integers(1, 2000)}" for _ in range(n)]
    df["cpf"] = [f"{rng.integers(100, 999)}.{rng.integers(100, 999)}.{rng.integers(100, 999)}-{rng.integers(10, 99)}"
                 for _ in range(n)]
    return df


def duplicate_names_csv(path) -> None:
    """Two pairs of repeated column names, one of them an exact copy, as some exports write them."""
    df = people(200)
    lines = ["age,dose,weight,score,score,died,weight"]
    rng = np.random.default_rng(1)
    for r in df.itertuples():
        lines.append(f"{r.age},{r.dose},{r.weight},{rng.integers(0, 10)},{rng.integers(0, 10)},{r.died},{r.weight}")
    path.write_text("\n".join(lines) + "\n")
