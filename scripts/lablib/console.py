# SPDX-License-Identifier: GPL-2.0
"""Judge a guest's console and kernel log: did the kernel get hurt?

A command that exits 0 while the kernel oopsed, warned or panicked has not
passed.  These patterns are what the kernel prints for such events; each
match is reported with its line so the reason is visible in CI logs.

Only kernel log records are judged: the console also carries the guest's
own output (lab-init echoes the command, the command prints what it
likes), and a command that merely mentions "Oops" has not oopsed.  Every
kernel record starts with its printk timestamp, "[    1.234567] ", in the
console and in dmesg alike (all the lab's kernels have PRINTK_TIME); user
output can precede a record on the same console line when both write at
once, so the search starts at the first timestamp of a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (name, regex) in the order they are reported; matched in kernel records.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("panic", r"Kernel panic - not syncing"),
        ("oops", r"\bOops\b|\bBUG: |general protection fault|unable to handle"),
        ("warning", r"\bWARNING: (CPU|at)\b|------------\[ cut here \]"),
        ("lockdep", r"possible (recursive|circular) locking|inconsistent lock state|"
                    r"suspicious RCU usage|bad unlock balance|held lock freed|"
                    r"lock held when returning to user space|possible irq lock inversion|"
                    r"lockdep is turned off|DEBUG_LOCKS_WARN_ON"),
        ("hung task", r"blocked for more than \d+ seconds"),
        ("soft lockup", r"soft lockup - CPU#|rcu_sched self-detected stall|rcu: INFO:"),
        ("sanitizer", r"\bUBSAN:|\bKASAN:|\bKFENCE:|\bODEBUG:"),
        ("leak", r"Busy inodes after unmount|VFS: Busy inodes"),
    )
)

# The initrd's own verdict (not a kernel record, but only the initrd prints it).
INITRD_FATAL = re.compile(r"^lab-initrd: FATAL")

# printk's timestamp at the start of every kernel record.
RECORD = re.compile(r"\[\s*\d+\.\d{6}\] ")


@dataclass(frozen=True)
class Problem:
    kind: str
    line: str


def kernel_record(line: str) -> str | None:
    """The kernel record in @line (from its timestamp on), or None."""
    m = RECORD.search(line)
    return line[m.start():] if m else None


def scan(text: str) -> list[Problem]:
    """Return every kernel problem reported in @text, first occurrence per line."""
    found: list[Problem] = []
    for line in text.splitlines():
        if INITRD_FATAL.match(line):
            found.append(Problem("initrd", line.strip()))
            continue
        record = kernel_record(line)
        if record is None:
            continue
        for kind, rx in PATTERNS:
            if rx.search(record):
                found.append(Problem(kind, record.strip()))
                break
    return found
