"""Processes for the benchmarks: the fixture site in its own process, and measured runs.

A measured run is one fresh subprocess: its wall time, and its peak resident set size twice
over: the kernel's high-water mark of the process's own memory (VmHWM, written by the
process itself as it ends through bench/peak.py, which no sampling can miss) and psutil
polling the whole process tree (which would also see helper processes, if a crawler had any).
`wait4`'s ru_maxrss is kept too, but only as a cross-check: Linux starts a child's ru_maxrss
at its parent's high-water mark, so it can never read below the bench process's own size.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    """What one measured subprocess took."""

    wall_seconds: float
    peak_rss_bytes: int  # kernel high-water mark of the process's own memory (VmHWM)
    rusage_maxrss_bytes: int  # wait4's ru_maxrss: at least the parent's high-water mark
    polled_peak_rss_bytes: int  # largest sum of RSS over the process tree seen by psutil
    cpu_seconds: float  # user + system time of the process
    returncode: int
    stdout: str
    stderr: str


class _TreeSampler(threading.Thread):
    """Polls the RSS of a process and its descendants until told to stop."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True, name=f"rss:{pid}")
        self.pid = pid
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stopping.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):  # it may just have exited
                        total += p.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self.stopping.wait(POLL_SECONDS)


def run_measured(
    command: Sequence[str],
    *,
    timeout: float | None = None,
    progress: Callable[[float], None] | None = None,
    progress_every: float = 30.0,
) -> Measured:
    """Run `command` to the end in a fresh process; wall time and peak RSS.

    A command run by this Python (`sys.executable ...`) runs through bench/peak.py, which
    writes its own VmHWM as it ends; any other command's peak is wait4's ru_maxrss.
    `progress(elapsed)` is called every `progress_every` seconds while it runs.
    """
    out_path = ROOT / "bench" / "out"
    out_path.mkdir(parents=True, exist_ok=True)
    command, peak_file = peak_command(command, out_path / "last.peak")
    # Files, not pipes: a chatty child must never block on a full pipe while we wait4().
    with (
        open(out_path / "last.stdout", "w+b") as out,
        open(out_path / "last.stderr", "w+b") as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), cwd=ROOT, stdout=out, stderr=err)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        status, rusage = _wait4(proc, timeout, progress, progress_every)
        wall = time.perf_counter() - started
        sampler.stopping.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # Linux reports ru_maxrss in KiB, as VmHWM.
    own_peak = read_peak(peak_file)
    return Measured(
        wall_seconds=wall,
        peak_rss_bytes=(own_peak if own_peak is not None else rusage.ru_maxrss) * 1024,
        rusage_maxrss_bytes=rusage.ru_maxrss * 1024,
        polled_peak_rss_bytes=sampler.peak,
        cpu_seconds=rusage.ru_utime + rusage.ru_stime,
        returncode=os.waitstatus_to_exitcode(status),
        stdout=stdout,
        stderr=stderr,
    )


def peak_command(command: Sequence[str], peak_file: Path) -> tuple[list[str], Path | None]:
    """`command` run through bench/peak.py when it is this Python's, and where its peak goes."""
    command = list(command)
    if not command or command[0] != sys.executable or len(command) < 2:
        return command, None
    peak_file.unlink(missing_ok=True)
    return [sys.executable, "-m", "bench.peak", str(peak_file), *command[1:]], peak_file


def read_peak(peak_file: Path | None) -> int | None:
    """The KiB bench/peak.py wrote, or None (not a Python command, or it died before)."""
    if peak_file is None:
        return None
    try:
        return int(peak_file.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def _wait4(
    proc: subprocess.Popen,
    timeout: float | None,
    progress: Callable[[float], None] | None,
    progress_every: float,
) -> tuple[int, os.struct_rusage]:
    """Reap `proc` ourselves: wait4 gives this one child's rusage, not every child's."""
    started = time.monotonic()
    next_report = started + progress_every
    killed = False
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, rusage
        now = time.monotonic()
        if timeout is not None and now - started > timeout and not killed:
            proc.kill()
            killed = True
        if progress is not None and now >= next_report:
            next_report = now + progress_every
            progress(now - started)
        time.sleep(0.02)


class FixtureServer:
    """`python -m tests.fixturesite` in its own process; the OS picks a free port."""

    def __init__(self, synthetic: int, state: str = "initial") -> None:
        self.synthetic = synthetic
        self.state = state
        self.proc: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> FixtureServer:
        command = [
            sys.executable, "-m", "tests.fixturesite", "--host", "127.0.0.1", "--port", "0",
            "--state", self.state, "--synthetic", str(self.synthetic),
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.proc.stdout is not None
        # The site prints its base URL, with the port it was given, once it is listening.
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.__exit__()
            raise RuntimeError(f"fixture site did not start: {line!r}")
        self.base_url = line
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def request_count(self) -> int:
        """Requests the site has answered so far (its control endpoint is not counted)."""
        with urllib.request.urlopen(f"{self.base_url}/__fixture/stats", timeout=10) as answer:
            return int(json.load(answer)["requests"])

    def cpu_seconds(self) -> float:
        """CPU time the site's process has used so far."""
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system
