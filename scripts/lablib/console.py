# SPDX-License-Identifier: GPL-2.0
"""Judge a guest's console and kernel log: did the kernel get hurt?

A command that exits 0 while the kernel oopsed, warned or panicked has not
passed.  These patterns are what the kernel prints for such events; each
match is reported with its line so the reason is visible in CI logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (name, regex) in the order they are reported.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("panic", r"Kernel panic - not syncing"),
        ("oops", r"\bOops\b|\bBUG: |general protection fault|unable to handle"),
        ("warning", r"\bWARNING: (CPU|at)\b|------------\[ cut here \]"),
        ("lockdep", r"possible (recursive|circular) locking|inconsistent lock state"),
        ("hung task", r"blocked for more than \d+ seconds"),
        ("soft lockup", r"soft lockup - CPU#|rcu_sched self-detected stall|rcu: INFO:"),
        ("sanitizer", r"\bUBSAN:|\bKASAN:|\bKFENCE:"),
        ("leak", r"Busy inodes after unmount|VFS: Busy inodes"),
        ("initrd", r"lab-initrd: FATAL"),
    )
)


@dataclass(frozen=True)
class Problem:
    kind: str
    line: str


def scan(text: str) -> list[Problem]:
    """Return every kernel problem reported in @text, first occurrence per line."""
    found: list[Problem] = []
    for line in text.splitlines():
        for kind, rx in PATTERNS:
            if rx.search(line):
                found.append(Problem(kind, line.strip()))
                break
    return found
