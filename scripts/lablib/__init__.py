# SPDX-License-Identifier: GPL-2.0
"""The fuse-iomap VM lab: dev-box images, builds, VM runs and KUnit.

Everything that touches a kernel runs in a Debian dev box: a root
filesystem made by debootstrap, used as a chroot to build and booted under
qemu (TCG) on Debian's stock kernel to test.  Documentation/testing.rst
describes the whole lab.
"""
