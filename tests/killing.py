"""Kill a writing child process at a random moment, many times (for the crash-safety tests).

The child writes ``b`` to its pipe as it begins a save and ``c`` once it committed. Every
third run waits for one committed save before the timed kill: on a loaded machine a child
may otherwise never finish a save before it is killed, and the test would never see a new
version.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable


def kill_during(child: Callable[[int], None], *, run: int, rng: random.Random,
                max_delay_s: float) -> bytes:
    """Fork ``child(write_fd)``, SIGKILL it after a random delay; its pipe's events.

    The events end with ``b`` when the kill landed inside a save.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            os.close(read_fd)
            child(write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    events = b""
    if run % 3 == 2:
        while not events.endswith(b"c"):
            chunk = os.read(read_fd, 1)
            if not chunk:
                raise AssertionError("the writer exited without committing")
            events += chunk
    time.sleep(rng.uniform(0.0, max_delay_s))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(read_fd, 4096):
        events += chunk
    os.close(read_fd)
    return events
