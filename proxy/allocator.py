"""The C allocator's threshold for mapping large blocks, kept where glibc starts it.

uvloop gives every TLS connection a 256 KiB read buffer, of which an idle connection touches a
page or two. glibc maps a block that large on pages of its own, but only until the first such
block is freed: from then on its threshold rises past that size and later blocks are cut from
the heap, where the pages around them are touched and stay resident. Measured with 1,000 idle
intercepted connections, that is about 8 KB more per connection. Pinning the threshold (which
also stops it drifting) keeps every block of 128 KiB or more on its own pages, of which only
the touched ones are resident, and gives them back to the system whole when they are freed.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter for the size from which a block is mapped on its own."""

MMAP_THRESHOLD = 128 * 1024
"""glibc's initial threshold, kept for the life of the process."""


def pin_mmap_threshold() -> bool:
    """Pin glibc's mmap threshold at :data:`MMAP_THRESHOLD`; True when it was set.

    Nothing happens with another C library, or when ``MALLOC_MMAP_THRESHOLD_`` in the
    environment already chose a threshold."""
    if platform.libc_ver()[0] != "glibc" or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False
