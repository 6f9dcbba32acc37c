"""`python -m bench.peak FILE ARGS...`: run `python ARGS...` in this process (ARGS is a script
and its arguments, `-m module ...` or `-c code ...`) and, when it ends, write this process's
peak resident memory in KiB to FILE.

The figure is the kernel's high-water mark of the process's own memory map (VmHWM in
/proc/self/status). `wait4`'s ru_maxrss is not that: Linux carries the parent's high-water mark
into a child at exec, so a child of a 40 MB bench process reports at least 40 MB whatever it did
itself, and a figure meant to show memory flat in the archive's size shows only the parent's.
This wrapper imports nothing beyond the standard library's os, re, runpy and sys, so it adds
nothing to the figure a plain `python ARGS...` would have.
"""

from __future__ import annotations

import os
import re
import runpy
import sys


def peak_kib() -> int | None:
    """This process's VmHWM in KiB, or None where there is no procfs."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            found = re.search(r"VmHWM:\s+(\d+)\s+kB", status.read())
    except OSError:
        return None
    return int(found.group(1)) if found else None


def _run(args: list[str]) -> None:
    if not args:
        raise SystemExit("usage: python -m bench.peak FILE (SCRIPT | -m MODULE | -c CODE) ARGS...")
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = list(args)
        sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
        runpy.run_path(args[0], run_name="__main__")


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    try:
        _run(args)
    finally:
        peak = peak_kib()
        if peak is not None:
            with open(out, "w", encoding="ascii") as f:
                f.write(str(peak))


if __name__ == "__main__":
    main()
