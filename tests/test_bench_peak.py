"""bench/peak.py: a measured child's peak memory is its own, not its parent's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's procfs")
def test_a_small_child_of_a_large_parent_reports_its_own_peak(tmp_path: Path) -> None:
    ballast = bytearray(300 * MIB)  # this process's high-water mark is now above 300 MiB
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page so it is resident
    peak_file = tmp_path / "peak"
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.peak", str(peak_file),
         "-c", "import sys; block = bytearray(64 * 2**20); block[::4096] = b'y' * len(block[::4096]); sys.exit(3)"],
        cwd=ROOT,
    )  # fmt: skip
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3  # the code's own exit status passes through
    own_kib = int(peak_file.read_text())
    assert 64 * 1024 < own_kib < 160 * 1024  # the 64 MiB block and an interpreter, no ballast
    assert usage.ru_maxrss > 300 * 1024  # what wait4 says: the parent's mark carried over
    del ballast


def test_a_module_runs_as_main_with_its_arguments(tmp_path: Path) -> None:
    peak_file = tmp_path / "peak"
    done = subprocess.run(
        [sys.executable, "-m", "bench.peak", str(peak_file), "-m", "json.tool", "--compact"],
        cwd=ROOT, input='{"a": [1, 2]}', capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout == '{"a":[1,2]}\n'
    assert int(peak_file.read_text()) > 0
