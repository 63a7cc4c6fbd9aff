"""storage.files: a file written whole or not at all, and nothing left open or behind when the
write fails part way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import files


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_write_that_fails_before_the_data_leaves_no_open_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(fd: int, mode: int) -> None:
        raise PermissionError("fchmod refused")

    monkeypatch.setattr(files.os, "fchmod", refused)
    before = _open_fds()
    for _ in range(3):
        with pytest.raises(PermissionError):
            files.write_file(tmp_path / "secret", "x")
    assert _open_fds() == before
    assert list(tmp_path.iterdir()) == []


def test_a_file_is_written_with_its_mode_and_made_once(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "secret"
    assert files.create_once(path, "first")
    assert not files.create_once(path, "second")
    assert path.read_text() == "first"
    assert path.stat().st_mode & 0o777 == 0o600
    files.write_file(path, b"again", mode=0o644)
    assert path.read_bytes() == b"again"
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret"]
