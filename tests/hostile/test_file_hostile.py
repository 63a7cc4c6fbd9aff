"""The hostile-answer catalogue through `ke-intake file`: each answer as a referral's given name
and need description. Filed or refused with one line, never a traceback or the national id in
the error; what is filed is opened with the KE key and holds no dangerous character."""

from __future__ import annotations

import json
from pathlib import Path

from bot.staff.access import load_key, open_referral
from tests.fixtures.referrals import valid_referral
from tests.hostile.catalogue import HOSTILE_ANSWERS
from tests.hostile.checks import assert_safe
from tests.integration.test_staff_cli import PASSPHRASE, Workstation


def test_every_hostile_answer_is_filed_clean_or_refused(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    filed: dict[str, str] = {}
    for n, raw in enumerate(HOSTILE_ANSWERS):
        data = valid_referral()
        data["person"]["given_name"] = raw
        data["need"]["description"] = f"Trenger hjelp med skole og helse. {raw}"
        path = tmp_path / f"hostile-{n}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        result = ws.run("file", path, "--demo")
        assert result.returncode in (0, 1), (repr(raw[:40]), result.stderr)
        assert_safe(raw, result.stdout, result.stderr)
        if result.returncode == 0:
            filed[raw] = result.stdout.strip()
        else:
            assert len(result.stderr.strip().splitlines()) >= 1
    key = load_key(str(ws.key), PASSPHRASE.encode())
    app = ws.app()
    try:
        for raw, reference in filed.items():
            record = app.inbox.get(reference)
            assert record is not None, reference
            opened = open_referral(app, record, key)
            assert_safe(raw, json.loads(opened.referral.model_dump_json()))
    finally:
        app.close()
    assert filed, "every answer refused: the test would prove nothing about what is stored"
