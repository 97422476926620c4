#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Emit a C file that checks every "N bytes" comment of the uapi header.

module/uapi/fuse_iomap.h states each structure's size in the comment
above it ("/* 48 bytes; ..."); those sizes are ABI.  The KUnit suite checks
the iomap ones inside the kernel; this generator lets the libfuse stage
check all of them in userspace, with the compiler the patched libfuse is
built with.  A comment of the form "N bytes + name" states the size of the
fixed part.  Usage: header_sizes.py HEADER > sizes.c; cc -c sizes.c.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

COMMENT_THEN_STRUCT = re.compile(
    r"/\*\s*(\d+) bytes\b[^*]*(?:\*(?!/)[^*]*)*\*/\s*struct\s+(\w+)\s*\{")


def pairs(text: str) -> list[tuple[str, int]]:
    return [(m.group(2), int(m.group(1))) for m in COMMENT_THEN_STRUCT.finditer(text)]


def main() -> int:
    header = Path(sys.argv[1])
    found = pairs(header.read_text())
    if not found:
        print(f"no sized structures in {header}", file=sys.stderr)
        return 1
    print("#include <stddef.h>")
    print(f'#include "{header.resolve()}"')
    for name, size in found:
        print(f'_Static_assert(sizeof(struct {name}) == {size}, '
              f'"struct {name} must be {size} bytes");')
    print(f"const int fuse_iomap_sized_structs = {len(found)};")
    return 0


if __name__ == "__main__":
    sys.exit(main())
