"""The run folder's event log: how a worker reports without touching the database."""

import json
import os
import time
from pathlib import Path


class EventLog:
    """Append-only JSON lines; each line is written whole and flushed, so readers see complete events.

    A module of its own (not core.worker, which runs as __main__) so that the trainer,
    which pickles its callbacks, can be loaded by any process.
    """

    def __init__(self, path: Path):
        self.path = path

    def emit(self, event: str, **data) -> None:
        line = json.dumps({"t": time.time(), "event": event, **data}, default=str)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
