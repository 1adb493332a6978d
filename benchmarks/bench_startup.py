"""Start-up time of `navis-eval --help` (median of 15 runs); target < 0.5 s.

Run: .venv/bin/python -m benchmarks.bench_startup
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    exe = shutil.which("navis-eval") or str(Path(sys.executable).with_name("navis-eval"))
    times = []
    for _ in range(15):
        started = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    print(json.dumps({"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3), "runs": len(times)}))


if __name__ == "__main__":
    main()
