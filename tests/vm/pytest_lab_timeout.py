# SPDX-License-Identifier: GPL-2.0
"""A per-test time limit for libfuse's pytest suite in the lab VM.

Loaded with `-p pytest_lab_timeout` (PYTHONPATH=tests/vm) by
libfuse-pytest.sh, so one test that hangs on a client which lacks a
feature fails on its own instead of using up the whole run.  The limit is
$LAB_PYTEST_TIMEOUT seconds (default 120); SIGALRM interrupts the test's
blocking system call and the test fails with "timed out".  A process
stuck in an uninterruptible kernel wait is not rescued; the outer
timeout(1) of the run is.
"""

from __future__ import annotations

import os
import signal
from typing import Any, Iterator

import pytest

LIMIT = int(os.environ.get("LAB_PYTEST_TIMEOUT", "120"))


class LabTimeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise LabTimeout(f"timed out after {LIMIT} s (lab per-test limit)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Iterator[None]:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
