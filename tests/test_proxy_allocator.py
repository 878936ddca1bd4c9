"""The mmap threshold stays pinned: a TLS-buffer-sized block is mapped on its own even after a
larger mapped block was freed (glibc would otherwise raise its threshold and cut the next
blocks from the heap, where an idle connection's untouched buffer pages become resident)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")

PROBE = textwrap.dedent(
    """
    import ctypes, sys
    from proxy.allocator import pin_mmap_threshold

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = MallInfo2
    if sys.argv[1] == "pin":
        assert pin_mmap_threshold()
    # Freeing a mapped 1 MiB block is what raises an unpinned threshold past 256 KiB.
    libc.free(libc.malloc(1 << 20))
    before = libc.mallinfo2().hblks
    block = libc.malloc(256 * 1024)
    mapped = libc.mallinfo2().hblks - before
    libc.free(block)
    print(mapped)
    """
)


def _mapped(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, check=True
    )
    return int(out.stdout)


def test_a_tls_buffer_sized_block_stays_mapped_once_pinned() -> None:
    assert _mapped("pin") == 1


def test_unpinned_glibc_cuts_it_from_the_heap() -> None:
    # What the pin is for: without it, the same sequence leaves the block in the heap.
    assert _mapped("free") == 0


def test_an_explicit_environment_threshold_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from proxy.allocator import pin_mmap_threshold

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert pin_mmap_threshold() is False
