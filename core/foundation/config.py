"""Settings as data: each has a name, a default and a help text (read from the environment).

docs/architecture.md lists them; tests/test_meta.py checks that every setting is documented.
"""

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    def value(self) -> str:
        return os.environ.get(self.name, self.default)


SETTINGS = {
    s.name: s
    for s in [
        Setting(
            "COMMONGROUND_HOME",
            str(Path.home() / ".commonground"),
            "Workspace folder: the DuckDB file and one folder per run live here.",
        ),
        Setting(
            "COMMONGROUND_MAX_UPLOAD_MB",
            "200",
            "Largest data file accepted, in megabytes (keep in step with .streamlit/config.toml).",
        ),
        Setting(
            "COMMONGROUND_USER",
            "",
            "Name recorded as 'who' when no name is given in the app or with --user (default: the OS user).",
        ),
        Setting(
            "COMMONGROUND_MAX_PARALLEL_RUNS",
            "",
            "Runs that train at once; more are queued (default: half the CPU cores, at least 1).",
        ),
        Setting(
            "COMMONGROUND_LOCK_TIMEOUT",
            "10",
            "Seconds to keep retrying when another process holds the database file.",
        ),
        Setting(
            "COMMONGROUND_DRIFT_P_VALUE",
            "0.05",
            "A scored column counts as changed when its test (small training data) gives a p-value below this.",
        ),
        Setting(
            "COMMONGROUND_DRIFT_DISTANCE",
            "0.1",
            "A scored column counts as changed from this distance (Wasserstein in standard deviations, "
            "Jensen-Shannon) when the training data has more than 1,000 rows.",
        ),
        Setting(
            "COMMONGROUND_SERVE_TOKEN",
            "",
            "When set, the REST endpoint (serve) requires it as 'Authorization: Bearer <token>'.",
        ),
        Setting(
            "COMMONGROUND_MAX_COLUMNS",
            "2000",
            "Most columns a data file may have; wider files are refused with the count.",
        ),
        Setting(
            "COMMONGROUND_MIN_FREE_DISK_GB",
            "2",
            "Free disk space, in GB, a run needs in the workspace before it starts (AutoGluon writes gigabytes).",
        ),
        Setting(
            "COMMONGROUND_SERVE_RATE",
            "200",
            "Requests per second one client may send to the REST endpoint (429 beyond, with Retry-After); 0: no "
            "limit. A bundle reads it too, with the same default (endpoint.RATE).",
        ),
        Setting(
            "COMMONGROUND_ADMINS",
            "",
            "Comma-separated users (e-mails with sign-in) who are always admins: how a team's first admin "
            "is named, by whoever runs the server.",
        ),
        Setting(
            "COMMONGROUND_ALLOW_OPEN",
            "",
            "Set to 'yes' to let the app answer on a non-loopback address without sign-in (everyone who "
            "reaches it acts with every role). Leave empty: the app refuses.",
        ),
        Setting(
            "COMMONGROUND_PARALLEL_FOLDS_MIN_CPUS",
            "8",
            "Bag folds are fitted in parallel (Ray processes) only when a run has this many cores; below, "
            "one after another (faster on small shares: bench/results/folds.md).",
        ),
        Setting(
            "COMMONGROUND_EXECUTOR",
            "local",
            "Where runs train: 'local' (a process on this machine) or 'ray' (a Ray cluster; docs/scale-out.md).",
        ),
        Setting(
            "COMMONGROUND_RAY_ADDRESS",
            "",
            "The Ray cluster's GCS address, host:port (what 'ray start --head' prints), for the ray executor.",
        ),
        Setting(
            "COMMONGROUND_ARTIFACT_STORE",
            "",
            "Where run folders travel to and from Ray nodes: a directory every node and the app can reach, "
            "or an fsspec URI (s3://bucket/prefix). Default: the workspace's ray_store folder (one machine).",
        ),
        Setting(
            "COMMONGROUND_ALLOW_OPEN_RAY",
            "",
            "Set to 'yes' to send runs to a non-loopback Ray address without token authentication "
            "(RAY_AUTH_MODE=token). Leave empty: the app refuses, since Ray runs code for anyone who reaches it.",
        ),
    ]
}

# Where Streamlit reads sign-in settings ([auth] in secrets.toml), in its own order.
SECRETS_FILES = (Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")


def drift_thresholds() -> tuple[float, float]:
    """(p-value, distance) from which a scored column counts as changed."""
    return (float(SETTINGS["COMMONGROUND_DRIFT_P_VALUE"].value()),
            float(SETTINGS["COMMONGROUND_DRIFT_DISTANCE"].value()))


def home() -> Path:
    path = Path(SETTINGS["COMMONGROUND_HOME"].value()).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(float(SETTINGS["COMMONGROUND_MAX_UPLOAD_MB"].value()) * 1024 * 1024)


def max_columns() -> int:
    return int(SETTINGS["COMMONGROUND_MAX_COLUMNS"].value())


def serve_rate() -> float:
    return float(SETTINGS["COMMONGROUND_SERVE_RATE"].value() or 0)


def min_free_disk_gb() -> float:
    return float(SETTINGS["COMMONGROUND_MIN_FREE_DISK_GB"].value())


def lock_timeout() -> float:
    return float(SETTINGS["COMMONGROUND_LOCK_TIMEOUT"].value())


def default_user() -> str:
    explicit = SETTINGS["COMMONGROUND_USER"].value().strip()
    if explicit:
        return explicit
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "local"


def sign_in_configured() -> bool:
    """True when Streamlit's OIDC sign-in is configured (an [auth] table in secrets.toml)."""
    import tomllib

    for path in SECRETS_FILES:
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def admins() -> set[str]:
    return {a.strip() for a in SETTINGS["COMMONGROUND_ADMINS"].value().split(",") if a.strip()}


def allow_open() -> bool:
    return SETTINGS["COMMONGROUND_ALLOW_OPEN"].value().strip().lower() in ("yes", "1", "true")


def exposed(address: str | None) -> bool:
    """True when a server bound to `address` answers other computers (no address: every interface)."""
    import ipaddress

    if not address:
        return True
    if address == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name: assume other computers can reach it
        return True
