"""A stand-in worker that writes the environment it was started with, then exits."""

import json
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    keys = ("COMMONGROUND_CPUS", "COMMONGROUND_LAUNCHED_AT", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_NUM_THREADS")
    (Path(sys.argv[1]) / "env.json").write_text(json.dumps({k: os.environ.get(k) for k in keys}))
