"""The masking key: 32 random bytes in the state dir, made once, mode 0600.

Processes that start together must agree on one key, so the key is written to a private
temporary file and then hard-linked into place: the link either creates the file or fails
because another process won, and every process then reads the one file that exists.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

KEY_FILE = "masking.key"
KEY_BYTES = 32


class KeyFileError(Exception):
    """The key file is missing, unreadable, malformed or not private."""


def load_or_create_key(state_dir: Path) -> bytes:
    """Return the key in ``state_dir``, creating the directory (0700) and key (0600) if absent."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = state_dir / KEY_FILE
    if not path.exists():
        tmp = state_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES).hex().encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    return read_key(path)


def read_key(path: Path) -> bytes:
    """Read a key file written by :func:`load_or_create_key` (hex, one line)."""
    try:
        st = path.stat()
        text = path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read masking key {path}: {exc.strerror}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"masking key {path} is readable by others (mode {stat.S_IMODE(st.st_mode):o}); "
            f"run: chmod 600 {path}"
        )
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"masking key {path} is not hex") from None
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"masking key {path} is shorter than {KEY_BYTES} bytes")
    return key
