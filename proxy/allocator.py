"""The C allocator's thresholds for mapping large blocks and for giving the heap back, fixed.

A Claude Code request carries the whole conversation: bodies of hundreds of KB to a few MB,
each copied several times on its way through (decrypted, joined, masked, encoded, encrypted).
By default glibc maps every block of 128 KiB or more on pages of its own and unmaps it when it
is freed, so each of those copies lands on fresh pages that the kernel must fault in and zero,
request after request: with the bench's 1 MiB upload that was ~18 % of the proxy's CPU and a
third of its time per request (W3 p50 ~36 -> ~24 ms in side-by-side runs). Here blocks up to
:data:`MMAP_THRESHOLD` are cut from the heap, and the heap keeps up to :data:`TRIM_THRESHOLD`
of free space at its top, so the next request reuses pages that are already there.

The cost is memory that stays resident: up to :data:`TRIM_THRESHOLD` of free heap after a
large request, and idle TLS connections a little more each (uvloop gives each a 256 KiB read
buffer, of which an idle connection touches a page or two; from the heap that measured
~1.4 KB more per connection: 1,000 idle intercepted connections 93.9 -> 97.0 MB RSS).
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
"""glibc's ``mallopt`` parameter for the free space at the heap's top kept from the system."""
M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter for the size from which a block is mapped on its own."""

MMAP_THRESHOLD = 32 * 1024 * 1024
"""Blocks smaller than this come from the heap (glibc's largest allowed threshold on 64-bit
systems; the default body limit is the same size)."""
TRIM_THRESHOLD = 16 * 1024 * 1024
"""Free space at the heap's top beyond this is given back to the system."""


def fix_thresholds() -> bool:
    """Set glibc's mmap and trim thresholds; True when both were set.

    Nothing happens with another C library, or when ``MALLOC_MMAP_THRESHOLD_`` or
    ``MALLOC_TRIM_THRESHOLD_`` in the environment already chose one (either is left to the
    user then)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        mapped = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
        trimmed = bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
    return mapped and trimmed
