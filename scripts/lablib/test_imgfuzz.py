# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the hostile-image fuzzer's mutations (tests/server/imgfuzz.py)."""

from __future__ import annotations

import random
import sys
import unittest

from lablib import config

sys.path.insert(0, str(config.REPO / "tests" / "server"))
import imgfuzz  # noqa: E402


def template() -> imgfuzz.Template:
    t = imgfuzz.Template("t", "/nonexistent", 1024)
    t.regions = {"super": [(1024, 1024)], "dir": [(4096, 1024), (8192, 1024)],
                 "itable": [(16384, 2048)]}
    return t


class Mutate(unittest.TestCase):
    def test_same_seed_and_case_same_image(self) -> None:
        for case in range(50):
            a, b = bytearray(32768), bytearray(32768)
            ma = imgfuzz.mutate(random.Random(f"7/{case}"), template(), a)
            mb = imgfuzz.mutate(random.Random(f"7/{case}"), template(), b)
            self.assertEqual(a, b)
            self.assertEqual(ma, mb)

    def test_only_metadata_regions_change(self) -> None:
        inside = set()
        for regs in template().regions.values():
            for off, n in regs:
                inside.update(range(off, off + n))
        changed = 0
        for case in range(200):
            img = bytearray(range(256)) * 128
            orig = bytes(img)
            imgfuzz.mutate(random.Random(f"1/{case}"), template(), img)
            diff = {i for i in range(len(img)) if img[i] != orig[i]}
            self.assertTrue(diff <= inside, f"case {case} wrote outside the regions")
            changed += bool(diff)
        self.assertGreater(changed, 150)


if __name__ == "__main__":
    unittest.main()
