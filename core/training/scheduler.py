"""The app's scheduler loop: one background thread per app process that calls sync.

Pages only read; this loop is what moves runs forward while the app is open (ingest events,
mark dead runs interrupted, start queued runs). It is bound to one workspace and stops when
the workspace setting changes, so tests that switch workspaces never share a loop.
"""

import logging
import threading
from pathlib import Path

from core.foundation import config
from core.training import sync

ACTIVE_SECONDS = 0.5  # a run is training: pick up its models quickly
IDLE_SECONDS = 2.0  # nothing active: still notice runs queued from the CLI
log = logging.getLogger("commonground.scheduler")


class Scheduler:
    def __init__(self, home: Path):
        self.home = Path(home)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="commonground-scheduler", daemon=True)

    def start(self) -> "Scheduler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set() and config.home() == self.home:
            active = False
            try:
                active = sync.sync()["active"] > 0
            except Exception:  # one bad look must not stop the loop; the next one retries
                log.exception("sync failed")
            self._stop.wait(ACTIVE_SECONDS if active else IDLE_SECONDS)


def start(home: Path) -> Scheduler:
    return Scheduler(home).start()

