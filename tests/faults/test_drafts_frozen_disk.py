"""The SQLite draft file on a file system that stalls: the event loop goes on.

A real stall, not a stand-in: the draft file lives on its own small ext4 file system (a loop
device over a file in the test's temporary directory), frozen with `fsfreeze` as a snapshot or
backup freezes one. A read of the file then blocks in the kernel once the WAL has moved on since
that connection's last read (it writes its read mark to the shared-memory file) until the file
system is thawed; a read made on the event loop stopped every conversation of the worker for as
long (3 s here, measured at e255d39). Needs root and util-linux (losetup, mount, fsfreeze);
skipped with the reason otherwise, required under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.drafts.sqlite import SqliteValueStore
from tests.conftest import IN_CI

FROZEN_SECONDS = 2.0
TOOLS = ("losetup", "mkfs.ext4", "mount", "umount", "fsfreeze")


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (a loop device, mount and fsfreeze)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    return f"needs {', '.join(missing)} (util-linux, e2fsprogs)" if missing else None


@pytest.fixture
def own_file_system(tmp_path: Path) -> Iterator[Path]:
    """A mounted 32 MiB ext4 of the test's own; thawed, unmounted and detached afterwards."""
    reason = _unavailable()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true requires it", pytrace=False)
        pytest.skip(reason)
    image, mount = tmp_path / "disk.img", tmp_path / "mnt"
    mount.mkdir()
    with image.open("wb") as disk:
        disk.truncate(32 * 1024 * 1024)
    _run("mkfs.ext4", "-q", "-F", str(image))
    device = _run("losetup", "--find", "--show", str(image)).strip()
    try:
        _run("mount", device, str(mount))
        try:
            yield mount
        finally:
            subprocess.run(["fsfreeze", "--unfreeze", str(mount)], capture_output=True)
            # Lazily: the store's threads keep their connections to the file open.
            _run("umount", "--lazy", str(mount))
    finally:
        _run("losetup", "--detach", device)


async def _longest_pause(until: asyncio.Event) -> float:
    """The longest time the loop did not run this task, ticking every 10 ms."""
    longest, last = 0.0, time.perf_counter()
    while not until.is_set():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return longest


async def test_a_read_on_a_frozen_file_system_does_not_stop_the_loop(
    own_file_system: Path,
) -> None:
    store = SqliteValueStore(own_file_system / "drafts.sqlite3")
    await store.set("draft:a", b"token a", 3600)
    assert await store.get("draft:a") == b"token a"  # the reading connection is open
    await store.set("draft:b", b"token b", 3600)  # the WAL moves on past its read mark

    _run("fsfreeze", "--freeze", str(own_file_system))
    thaw = threading.Timer(
        FROZEN_SECONDS, subprocess.run, (["fsfreeze", "--unfreeze", str(own_file_system)],)
    )
    thaw.start()
    try:
        done = asyncio.Event()
        watch = asyncio.create_task(_longest_pause(done))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        value = await store.get("draft:b")
        waited = time.perf_counter() - started
        done.set()
        pause = await watch
    finally:
        thaw.join()
    assert value == b"token b"
    # The read was stalled by the frozen file system (else this test shows nothing) ...
    assert waited > FROZEN_SECONDS / 2, f"the read took {waited:.3f} s: not stalled"
    # ... and the loop went on meanwhile: no pause near the stall's length.
    assert pause < 0.5, f"the event loop stopped for {pause:.2f} s"
    assert await store.get("draft:a") == b"token a"  # thawed: reads are quick again
