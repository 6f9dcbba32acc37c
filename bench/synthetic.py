"""`python bench/synthetic.py N PATH`: write a synthetic archive of N recommendations (three
versions each) at PATH with store.synthetic, and print its counts and how long it took."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store import synthetic  # noqa: E402


def build(path: str | Path, n: int) -> dict:
    Path(path).unlink(missing_ok=True)
    start = time.perf_counter()
    counts = synthetic.build(path, n)
    return {**counts, "seconds": round(time.perf_counter() - start, 1)}


if __name__ == "__main__":
    print(json.dumps(build(sys.argv[2], int(sys.argv[1]))))
