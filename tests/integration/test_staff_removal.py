"""Removing a staff member (a leder in the browser, with their own unlocked key): the person's
key is retired, every referral and note is re-sealed to the others, and the removed key opens
neither the old (re-sealed) referrals nor new ones; the person can no longer log in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.staff.access import StaffError, note_verify_keys, open_note, open_referral
from tests.integration.test_staff_web import client, csrf, login
from tests.staffweb.harness import PASSPHRASE, PASSWORD, T0, installation


def test_a_removed_person_can_open_nothing_new_or_resealed(tmp_path: Path) -> None:
    with installation(tmp_path) as ke:
        kari = ke.add("kari", "Kari Saksbehandler")
        ke.add("lise", "Lise Leder", "leder")
        old = ke.file(T0)
        kari_key = ke.store.load_private_key(kari, PASSPHRASE.encode())
        assert open_referral(ke.app, ke.app.inbox.get(old), kari_key)  # type: ignore[arg-type]

        c = client(ke)
        login(c, ke, "kari")
        note = c.post(
            f"/case/{old}/note", data={"csrf": csrf(c.get("/").text), "note": "Ringt opp"}
        )
        assert note.status_code == 303

        leder = client(ke)
        login(leder, ke, "lise")
        page = leder.get("/staff").text
        r = leder.post(
            "/staff/remove", data={"csrf": csrf(page), "username": "kari", "confirm": "1"}
        )
        assert r.status_code == 303, r.text
        new = ke.file(T0)

        for reference in (old, new):
            record = ke.app.inbox.get(reference)
            assert record is not None and kari.key_id not in record.key_ids
            with pytest.raises(StaffError):
                open_referral(ke.app, record, kari_key)
        lise = ke.store.get("lise")
        assert lise is not None
        lise_key = ke.store.load_private_key(lise, PASSPHRASE.encode())
        record = ke.app.inbox.get(old)
        assert record is not None
        opened = open_referral(ke.app, record, lise_key)
        assert opened.referral.person.family_name == "Testesen"
        notes = [e for e in ke.app.inbox.status_events(old) if e.note_envelope]
        assert open_note(notes[0].note_envelope, record, lise_key, note_verify_keys(ke.app))  # type: ignore[arg-type]
        assert open_note(notes[0].note_envelope, record, kari_key, note_verify_keys(ke.app)) is None  # type: ignore[arg-type]

        # Kari's session ended with the removal, and she cannot log in again.
        assert c.get("/").status_code == 303
        ke.clock.advance(seconds=31)
        token = csrf(c.get("/login").text)
        r = c.post(
            "/login",
            data={"csrf": token, "username": "kari", "password": PASSWORD, "code": "000000"},
        )
        assert r.status_code == 400
        actions = [e.action for e in ke.app.inbox.audit_entries()]
        assert "key_retired" in actions and "rewrapped" in actions and "staff_removed" in actions
