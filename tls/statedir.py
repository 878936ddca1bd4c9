"""Files in the state directory: private directory, exclusive lock, atomic writes, safe reads.

These helpers are POSIX only (``fcntl.flock``, file modes), like the rest of the CA's
storage: the key's protection is its file mode.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "LooseModeError",
    "ensure_private_dir",
    "exclusive_lock",
    "give_to_directory_owner",
    "read_private_file",
    "write_atomic",
]


class LooseModeError(OSError):
    """A file that must be private (mode 0600) can be read or written by group or others."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(f"{path} has mode {mode:04o}; it must not be accessible to others")
        self.path = path
        self.mode = mode


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) if absent, the directory itself with mode 0700.

    An existing directory keeps its mode: it may be shared on purpose, and what must stay
    private (the key) is checked file by file.
    """
    if path.is_dir():
        return
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask; set it explicitly so it is exactly 0700.
    os.chmod(path, 0o700)


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (created 0600 if absent) for the block.

    flock locks belong to the open file description, so this serialises threads of one
    process as well as separate processes. The lock file is left in place: removing it
    would let a third process lock a fresh inode while a second still waits on the old one.
    """
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except PermissionError:
        # A directory we may read but not write (a CA provisioned by another account):
        # flock works on a read-only descriptor of an existing lock file.
        fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    The bytes go to a uniquely named temporary file in the same directory, created with
    ``O_CREAT | O_EXCL`` and ``mode`` (so a private file is never readable by others, not even
    for an instant), are flushed to disk, and the file is renamed over ``path``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, mode)
    try:
        try:
            # The creation mode was filtered by the umask; make it exact.
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def read_private_file(path: Path) -> bytes:
    """Read a regular file that must not be accessible to group or others.

    The mode is checked on the open descriptor, so it is the mode of the very file read.
    Raises :class:`LooseModeError` if any group or other permission bit is set, and
    :class:`OSError` if the path is missing or not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path} is not a regular file")
        if st.st_mode & 0o077:
            raise LooseModeError(path, stat.S_IMODE(st.st_mode))
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry change (a rename) to disk where the platform allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # Some file systems refuse fsync on directories; the rename itself is still atomic.
        pass
    finally:
        os.close(fd)


def give_to_directory_owner(directory: Path, names: list[str]) -> None:
    """Make the files ``names`` in ``directory`` belong to the directory's owner.

    For root writing in a service's state directory (``sudo maskproxy ca --regenerate`` under
    the system unit): the service's user must be able to read what root wrote there, and the
    files keep their modes. A no-op unless running as root in a directory owned by another.
    """
    if os.geteuid() != 0:
        return
    st = os.stat(directory)
    if st.st_uid == 0:
        return
    for name in names:
        path = directory / name
        with contextlib.suppress(FileNotFoundError):
            os.chown(path, st.st_uid, st.st_gid, follow_symlinks=False)
