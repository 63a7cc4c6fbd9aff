"""Small files written whole (keys, secrets, registries) and made once by whichever of the
processes and threads starting at the same moment comes first."""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_file(
    path: Path,
    data: str | bytes,
    *,
    mode: int = 0o600,
    exclusive: bool = False,
    folder_mode: int = 0o700,
) -> None:
    """Write `data` to `path` whole or not at all: into a temporary file beside it whose name no
    other writer uses, created with `mode` (a secret is never readable by others, even briefly)
    and synced, then moved in (os.replace). With `exclusive` it is linked in instead (os.link),
    so of writers racing to make `path` the first wins and the others get FileExistsError.
    Missing folders above it are made with `folder_mode`."""
    path.parent.mkdir(mode=folder_mode, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:  # closed however the write ends
            os.fchmod(handle.fileno(), mode)  # whatever the umask
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def create_once(path: Path, data: str | bytes, *, folder_mode: int = 0o700) -> bool:
    """Make `path` (0600) holding `data` unless it is there: whether this call made it. Of
    processes and threads making it at once one wins; every one then reads the winner's."""
    try:
        write_file(path, data, exclusive=True, folder_mode=folder_mode)
    except FileExistsError:
        return False
    return True


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Held by one process (and one thread) at a time: an fcntl lock on the file `path` (made
    if missing). Around "is it there? else make it", so that those starting together agree."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
