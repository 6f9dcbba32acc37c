"""A forked child (a reparse worker) never holds the run lock of the process it came from:
once the writer lets go of the lock, or dies, the next run can take it, even while a worker
it forked is still finishing its last task."""

from __future__ import annotations

import os
from pathlib import Path

from store.lock import RunLock


def test_a_forked_child_does_not_hold_the_run_lock(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    lock = RunLock(db, "reparse", "2026-12-02T00:00:00.000Z").acquire()
    held_fd = lock._fd
    assert held_fd is not None
    go_on, wait = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: says whether it still has the descriptor, then waits
        os.close(wait)
        try:
            os.fstat(held_fd)
            kept = True
        except OSError:
            kept = False
        os.read(go_on, 1)
        os._exit(10 + kept + 2 * (lock._fd is not None))
    os.close(go_on)
    try:
        lock.release()
        # The child is alive and waiting: the lock must be free all the same.
        again = RunLock(db, "reparse", "2026-12-02T00:00:01.000Z").acquire()
        again.release()
    finally:
        os.write(wait, b"x")
        os.close(wait)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 10
