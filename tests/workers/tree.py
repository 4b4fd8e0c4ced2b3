"""A worker that starts a process tree, as AutoGluon does when it fits folds in parallel: a child
that ignores SIGTERM (so cancel must escalate to SIGKILL) and a grandchild, then waits."""

import subprocess
import sys
import time
from pathlib import Path

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
PARENT = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
          " time.sleep(600)")

if __name__ == "__main__":
    run_dir = Path(sys.argv[1])
    kids = [subprocess.Popen([sys.executable, "-c", code]) for code in (STUBBORN, PARENT)]
    (run_dir / "children.txt").write_text(" ".join(str(k.pid) for k in kids))
    time.sleep(600)
