"""The adapter's words all come from the dialogue texts, in every language; callback data stays
under Telegram's limit; long replies split; the log filter blanks personal data."""

from __future__ import annotations

import logging
import string

import pytest

from bot.telegram import redact, render, wording
from bot.telegram.callbacks import MAX_BYTES, Callback, new_nonce
from dialogues import flow
from dialogues.types import Choice, Reply
from intake.messages import LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_adapter_uses_exists(language: str) -> None:
    keys = set(wording.KEYS.values())
    keys |= {f"cmd.{name}" for name in wording.COMMANDS}
    missing = keys - set(flow.texts(language))  # type: ignore[arg-type]
    assert not missing, sorted(missing)


def test_the_adapters_texts_have_the_same_placeholders_in_every_language() -> None:
    def fields(language: str, key: str) -> set[str]:
        template = flow.texts(language)[key]  # type: ignore[arg-type]
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for key in wording.KEYS.values():
        assert fields("nb", key) == fields("nn", key) == fields("en", key), key
    # a button press is answered with a short notice: Telegram allows 200 characters
    for language in LANGUAGES:
        for purpose in ("stale", "keep_on", "keep_off"):
            assert len(wording.text(language, purpose)) <= 200


def test_language_codes_map_to_ours() -> None:
    assert wording.language_of("nb") == "nb"
    assert wording.language_of("no") == "nb"
    assert wording.language_of("nn") == "nn"
    assert wording.language_of("en-GB") == "en"
    assert wording.language_of("pl") == "en"
    assert wording.language_of(None, "nn") == "nn"


def test_callback_data_is_short_and_round_trips() -> None:
    for op, arg in (("c", "14"), ("m", "summary"), ("l", "nn"), ("r", ""), ("n", "")):
        packed = Callback(new_nonce(), op, arg).pack()  # type: ignore[arg-type]
        assert len(packed.encode()) < MAX_BYTES
        unpacked = Callback.unpack(packed)
        assert unpacked is not None and unpacked.op == op and unpacked.arg == arg
    with pytest.raises(ValueError, match="too long"):
        Callback("n", "m", "x" * 70).pack()
    for foreign in (None, "", "other|data", "k|n|z|1", "k|n|c"):
        assert Callback.unpack(foreign) is None


def test_long_text_splits_under_the_limit_at_boundaries() -> None:
    paragraph = ("Dette er en setning med flere ord. " * 40).strip()
    text = "\n\n".join([paragraph] * 6)
    parts = render.split_text(text)
    assert len(parts) >= 2
    assert all(len(p) <= render.TELEGRAM_LIMIT for p in parts)
    assert "".join(p.replace("\n", "").replace(" ", "") for p in parts) == text.replace(
        "\n", ""
    ).replace(" ", "")
    assert render.split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_multi_select_keyboard_marks_choices_and_labels_done_from_texts() -> None:
    reply = Reply(
        text="?",
        step="need.life_areas",
        kind="multi",
        choices=(Choice("housing", "Bolig"), Choice("transport", "Transport")),
        multi=True,
        selected=("transport",),
        optional=True,
    )
    markup, keyboard = render.keyboard(reply, "nn")
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels[0] == f"{render.UNCHECKED}Bolig"
    assert labels[1] == f"{render.CHECK}Transport"
    assert labels[2:] == [flow.text("nn", "btn.done"), flow.text("nn", "btn.skip")]
    assert keyboard.choice_ids == ["housing", "transport"]
    nonces = {Callback.unpack(b.callback_data).nonce for row in markup.inline_keyboard for b in row}  # type: ignore[union-attr]
    assert nonces == {keyboard.nonce}


def test_redaction_filter_blanks_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(redact.RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("id %s phone %s mail %s", "02013299997", "+47 912 34 567", "kari@example.no")
        logger.info("url https://api.telegram.org/bot123:ABCdefGHIjklMNOpqrSTUvwx/getMe")
        logger.info("update %s done in %s ms, phone %s", 123456789, 17, "91 23 45 67")
    text = caplog.text
    assert "update 123456789 done in 17 ms" in text
    for secret in ("02013299997", "912 34 567", "91 23 45 67", "kari@example.no", "ABCdefGHI"):
        assert secret not in text
    assert "[redacted]" in text
