"""Key files made by processes starting at once: one signing key between them (not one each,
the last overwriting the others), and writers of one key file never sharing a temporary file.

Each test starts its processes on a barrier so that they reach the key file together."""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.bootstrap import _signing_key, signing_key_path
from bot.settings import Settings
from storage.crypto.errors import KeyFileError
from storage.crypto.keys import (
    generate_signing_key,
    load_signing_key,
    load_verify_key,
    public_signing_key_bytes,
    save_signing_key,
)

PROCESSES = 6
_fork = multiprocessing.get_context("fork")


def _race(target: Any, *args: Any) -> list[str]:
    """Run `target(barrier, *args)` in PROCESSES processes at once; their answers."""
    barrier = _fork.Barrier(PROCESSES)
    answers = _fork.Queue()
    workers = [
        _fork.Process(target=_answer, args=(answers, target, barrier, *args))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    found = [answers.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return found


def _answer(answers: Any, target: Any, barrier: Barrier, *args: Any) -> None:
    try:
        answers.put(target(barrier, *args))
    except BaseException as error:  # reported to the test as a value
        answers.put(f"error {type(error).__name__}: {error}")


def _start_intake(barrier: Barrier, data_dir: str, phrase: str | None) -> str:
    settings = Settings(
        data_dir=Path(data_dir), signing_key_passphrase=SecretStr(phrase) if phrase else None
    )
    barrier.wait()
    key = _signing_key(settings, create=True)
    assert key is not None
    return public_signing_key_bytes(key).hex()


@pytest.mark.parametrize("phrase", [None, "signing passphrase"])
def test_intakes_starting_at_once_make_one_signing_key(tmp_path: Path, phrase: str | None) -> None:
    made = _race(_start_intake, str(tmp_path), phrase)
    assert len(set(made)) == 1, made
    path = signing_key_path(Settings(data_dir=tmp_path))
    kept = load_signing_key(path, phrase.encode() if phrase else None)
    assert public_signing_key_bytes(kept).hex() == made[0]
    assert public_signing_key_bytes(load_verify_key(path.with_suffix(".pub"))).hex() == made[0]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def _save_own_key(barrier: Barrier, path: str, overwrite: bool) -> str:
    key = generate_signing_key()
    barrier.wait()
    try:
        save_signing_key(Path(path), key, None, overwrite=overwrite)
    except KeyFileError as error:
        return f"refused {'existing' in str(error)}"
    return public_signing_key_bytes(key).hex()


def test_writers_of_one_new_key_file_at_once_one_wins_the_others_are_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "note.key"
    answers = _race(_save_own_key, str(path), False)
    written = [a for a in answers if not a.startswith("refused")]
    assert len(written) == 1, answers
    assert answers.count("refused True") == PROCESSES - 1, answers
    assert public_signing_key_bytes(load_signing_key(path, None)).hex() == written[0]
    assert os.listdir(tmp_path) == ["note.key"]


def test_writers_overwriting_one_key_file_at_once_leave_one_of_theirs_whole(
    tmp_path: Path,
) -> None:
    path = tmp_path / "note.key"
    answers = _race(_save_own_key, str(path), True)
    assert not [a for a in answers if a.startswith(("refused", "error"))], answers
    assert public_signing_key_bytes(load_signing_key(path, None)).hex() in answers
    assert os.listdir(tmp_path) == ["note.key"]


def _make_secrets(start: threading.Barrier, settings: Settings, made: list[object]) -> None:
    from bot.bootstrap import _idempotency_secret
    from bot.runtime.drafts import draft_secrets

    start.wait()
    try:
        made.append((_idempotency_secret(settings), draft_secrets(settings, kept=True)))
    except BaseException as error:  # reported in the test's thread
        made.append(error)


def test_threads_making_the_secret_files_at_once_agree_on_one(tmp_path: Path) -> None:
    """The inbox's idempotency secret and the drafts' kept keys, made by the threads of one
    process at once (one process id: each writer still has a temporary file of its own)."""
    for round_ in range(20):
        data_dir = tmp_path / str(round_)
        settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
        start, made = threading.Barrier(8), []
        threads = [
            threading.Thread(target=_make_secrets, args=(start, settings, made)) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(map(repr, made))) == 1, made
        assert not [p for p in data_dir.iterdir() if p.name.endswith(".tmp")]
