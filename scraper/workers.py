"""The run's worker threads and its stop flag: how a run does pages side by side and ends on time.

Workers are daemon threads, so a run asked to stop never waits for a worker deep in a slow
read: the run loop gives pages in hand a short grace, records what it can and
returns, and the process exits with them still running (they hold no database handle: only
the loop writes). StopFlag ends every wait of the fetcher as soon as a stop is asked for.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from scraper.errors import RunInterrupted


class StopFlag:
    """A request to stop the run, from a signal handler or from the run itself.

    The run loop checks it between pages; every wait of the fetcher goes through `sleep`, which
    raises RunInterrupted once a stop is asked for, so a page waiting out a backoff or a
    Retry-After is abandoned rather than waited for.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None

    def request(self, signum: int | None = None) -> None:
        """Ask the run to stop; `signum` when a signal asked (it decides the exit code)."""
        if self.signum is None and signum is not None:
            self.signum = signum
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> None:
        """time.sleep that ends, raising RunInterrupted, as soon as a stop is asked for."""
        if self._event.wait(max(0.0, seconds)):
            raise RunInterrupted("the run was asked to stop")

    @property
    def signal_name(self) -> str:
        if self.signum is None:
            return "a stop request"
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


class Workers:
    """`count` daemon threads running submitted calls; `close` never waits for them."""

    def __init__(self, count: int) -> None:
        self._tasks: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple] | None]
        self._tasks = queue.SimpleQueue()
        # Futures in the order they finished: cheaper to wait on than concurrent.futures.wait,
        # which sets up and tears down a waiter on every pending future each time it is called.
        self._finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"fetch-{i}", daemon=True)
            for i in range(max(1, count))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.add_done_callback(self._finished.put)
        self._tasks.put((future, fn, args))
        return future

    def finished(self, timeout: float) -> list[Future[Any]]:
        """The calls that finished (or were cancelled) since the last look, waiting at most
        `timeout` seconds for the first; [] if none did."""
        try:
            done = [self._finished.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                done.append(self._finished.get_nowait())
            except queue.Empty:
                return done

    def close(self) -> None:
        """Let the threads end once their call returns; queued calls are dropped."""
        for _ in self._threads:
            self._tasks.put(None)

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            future, fn, args = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as e:  # handed to the loop, which decides
                future.set_exception(e)
