"""glibc's thresholds are fixed for large bodies: a request-sized block comes from the heap, and
the heap keeps the pages a freed one leaves at its top, so the next request does not fault them
in again (by default each is mapped on fresh pages and unmapped when freed)."""

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
    from proxy.allocator import fix_thresholds

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = MallInfo2
    if sys.argv[1] == "fix":
        assert fix_thresholds()
    before = libc.mallinfo2().hblks
    block = libc.malloc(1 << 20)
    mapped = libc.mallinfo2().hblks - before
    libc.free(block)
    big = libc.malloc(4 << 20)
    libc.free(big)
    kept = libc.mallinfo2().arena >= 4 << 20
    print(mapped, int(kept))
    """
)


def _probe(mode: str) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env, check=True
    )
    mapped, kept = out.stdout.split()
    return int(mapped), int(kept)


def test_a_request_sized_block_comes_from_the_heap_and_its_pages_stay() -> None:
    assert _probe("fix") == (0, 1)


def test_by_default_glibc_maps_it_and_gives_its_pages_back() -> None:
    # What fixing the thresholds is for: without it, each such block is a fresh mapping.
    assert _probe("default") == (1, 0)


@pytest.mark.parametrize("name", ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"])
def test_a_threshold_chosen_in_the_environment_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from proxy.allocator import fix_thresholds

    monkeypatch.setenv(name, "65536")
    assert fix_thresholds() is False
