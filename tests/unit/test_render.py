"""The staff renderers: the readable summary and the form-like PDF of an opened referral."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from importlib import resources
from typing import Any

import pypdf
import pytest

from intake.model import (
    Authority,
    ConsentGiver,
    ContactChannel,
    InformationSource,
    LifeArea,
    Referral,
    Request,
    Role,
)
from storage.render import CaseInfo, Labels, referral_pdf, referral_text
from storage.render.labels import LANGUAGES
from tests.synthetic import synthetic_id

RECEIVED = dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=dt.UTC)


def child_referral(**overrides: Any) -> Referral:
    data: dict[str, Any] = {
        "kommune": "5540",
        "requests": ["individual_plan", "child_coordinator"],
        "submitter": {
            "role": "parent",
            "name": "Áile Ŋuolla-Šámi",
            "phone": "+4791234567",
            "relationship": "mor",
            "authority": "parental_responsibility",
        },
        "person": {
            "given_name": "Ánde",
            "family_name": "Ŋuolla-Šámi",
            "national_id": synthetic_id(dt.date(2015, 3, 4)),
            "address": {"street": "Čáhppesvárri 2", "postcode": "9146", "city": "Olderdalen"},
            "interpreter": {"needed": True, "language": "nordsamisk"},
            "gp": {"name": "Per Lege", "clinic": "Kåfjord legekontor"},
        },
        "guardians": [
            {
                "name": "Áile Ŋuolla-Šámi",
                "phone": "+4791234567",
                "parental_responsibility": True,
                "informed": True,
            }
        ],
        "need": {
            "description": "Ánde trenger hjelp fra skole, helsestasjon og fysioterapeut samtidig.",
            "life_areas": ["school_kindergarten", "health_treatment"],
        },
        "current_services": [{"service": "Fysioterapi", "provider": "Kåfjord kommune"}],
        "preferred_coordinator": {"name": "Sara Helsesøster", "reason": "Kjenner familien."},
        "consent": {
            "individual_plan": True,
            "coordinator": True,
            "given_by": "parents",
            "acknowledged": True,
            "child_heard": True,
            "obtain_information_from": ["gp", "school_kindergarten"],
            "share_between_services": True,
        },
        "meta": {
            "id": str(uuid.uuid4()),
            "reference": "KE-7K4M-Q9XA",
            "channel": "telegram",
            "language": "nb",
            "submitted_at": "2026-11-20T10:00:00Z",
        },
    }
    data.update(overrides)
    return Referral.model_validate(data, context={"allow_synthetic": True})


def case(**overrides: Any) -> CaseInfo:
    values: dict[str, Any] = {
        "reference": "KE-7K4M-Q9XA",
        "recipient": "5540",
        "received_at": RECEIVED,
        "channel": "telegram",
        "signature_ok": True,
    }
    values.update(overrides)
    return CaseInfo(**values)


@pytest.fixture(scope="module")
def default_pdf() -> bytes:
    """Rendering embeds a font subset (about a second); tests that only read share one."""
    return referral_pdf(child_referral(), case())


def pdf_text(blob: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(blob))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- the terminal summary ------------------------------------------------------------------------


def test_summary_shows_the_person_the_case_and_the_unverified_identity() -> None:
    referral = child_referral()
    text = referral_text(referral, case())
    assert "Ánde Ŋuolla-Šámi" in text
    assert referral.person.national_id and referral.person.national_id in text
    assert "Fødselsdato:" in text and "04.03.2015" in text
    assert "Gáivuotna - Kåfjord - Kaivuono (5540)" in text
    assert "KE-7K4M-Q9XA" in text
    # Received 10:00 UTC in November is 11:00 in Oslo.
    assert "20.11.2026 11:00" in text
    assert "Ikke verifisert (Telegram-chat)" in text
    assert "[x] Individuell plan   [ ] Koordinator   [x] Barnekoordinator" in text
    assert "Foreldre med foreldreansvar" in text
    assert "+47 91 23 45 67" in text
    assert "ikke bundet av det" in text  # the KE's duty about the preferred coordinator
    # Enum ids never reach staff.
    for raw in ("child_coordinator", "parental_responsibility", "school_kindergarten"):
        assert raw not in text


def test_summary_lines_fit_the_requested_width() -> None:
    long = "Behovet gjelder mange tjenester samtidig. " * 20
    text = referral_text(child_referral(need={"description": long}), case(), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert " ".join(text.split()).count("Behovet gjelder mange tjenester samtidig.") == 20


def test_summary_puts_a_signature_warning_first() -> None:
    text = referral_text(child_referral(), case(signature_ok=False))
    lines = text.splitlines()
    first_section = next(i for i, line in enumerate(lines) if line.startswith("=="))
    assert any(line.startswith("!! UGYLDIG") for line in lines[:first_section])
    assert "ikke kontrollert" in referral_text(child_referral(), case(signature_ok=None))


def test_summary_without_case_uses_the_referral_meta() -> None:
    text = referral_text(child_referral())
    assert "Saksopplysninger" not in text
    assert "Sendt inn digitalt 20.11.2026 11:00 via Telegram-chat" in text


def test_summary_in_nynorsk_and_english() -> None:
    nn = referral_text(child_referral(), case(), language="nn")
    en = referral_text(child_referral(), case(), language="en")
    assert "Personen meldinga gjeld" in nn and "Ikkje verifisert" in nn
    assert "The person the referral is about" in en and "Not verified (Telegram chat)" in en


def test_unborn_child_shows_due_date_instead_of_national_id() -> None:
    due = dt.date.today() + dt.timedelta(days=60)
    referral = child_referral(
        requests=["child_coordinator"],
        person={
            "given_name": "Baby",
            "family_name": "Nordmann",
            "unborn": True,
            "due_date": due.isoformat(),
        },
        consent={"coordinator": True, "given_by": "parents", "acknowledged": True},
    )
    text = referral_text(referral, case())
    assert "Barnet er ikke født ennå: Ja" in text
    assert due.strftime("%d.%m.%Y") in text
    assert "Fødselsnummer" not in text


def test_missing_form_fields_are_marked_not_given() -> None:
    text = referral_text(child_referral(goals=None), case())
    assert "Personens mål: ikke oppgitt" in text


def test_a_ke_that_is_not_a_municipality_keeps_its_id() -> None:
    text = referral_text(child_referral(), case(recipient="helse-bergen"))
    assert "Mottaker:" in text and "helse-bergen" in text


# -- the labels ----------------------------------------------------------------------------------


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        out |= _keys(value, path + ".") if isinstance(value, dict) else {path}
    return out


def test_every_language_has_the_same_labels() -> None:
    trees = {
        lang: json.loads(
            resources.files("storage.render").joinpath(f"labels/{lang}.json").read_text("utf-8")
        )
        for lang in LANGUAGES
    }
    assert _keys(trees["nb"]) == _keys(trees["nn"]) == _keys(trees["en"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_model_choice_has_a_label(language: Any) -> None:
    labels = Labels(language)
    groups = {
        "request": Request,
        "role": Role,
        "authority": Authority,
        "life_area": LifeArea,
        "information_source": InformationSource,
        "consent_giver": ConsentGiver,
        "contact_channel": ContactChannel,
    }
    for group, enum in groups.items():
        for member in enum:
            assert labels.enum(group, member.value) != member.value, (group, member.value)


# -- the PDF -------------------------------------------------------------------------------------


def test_pdf_is_a_pdf_with_the_form_and_the_person_in_unicode(default_pdf: bytes) -> None:
    blob = default_pdf
    assert blob.startswith(b"%PDF-")
    assert b"/FontFile2" in blob  # DejaVu is embedded, not a Latin-1 core font
    text = pdf_text(blob)
    for expected in (
        "Melding om behov for individuell plan",
        "Gáivuotna - Kåfjord - Kaivuono (5540)",
        "Ánde Ŋuolla-Šámi",
        "Čáhppesvárri 2, 9146 Olderdalen",
        "KE-7K4M-Q9XA",
        "Ikke verifisert (Telegram-chat)",
        "Unntatt offentlighet",
        "Side 1 av",
    ):
        assert expected in text, expected


def test_pdf_metadata_carries_no_personal_data(default_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(default_pdf))
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    assert "KE-7K4M-Q9XA" in meta
    assert "Ánde" not in meta and "Ŋuolla" not in meta


def test_pdf_uncompressed_is_the_same_document(default_pdf: bytes) -> None:
    compressed = default_pdf
    plain = referral_pdf(child_referral(), case(), compress=False)
    assert b"/FlateDecode" in compressed and b"/FlateDecode" not in plain.split(b"/FontFile2")[0]
    assert "Ánde Ŋuolla-Šámi" in pdf_text(plain)


def test_long_referral_breaks_onto_more_pages_and_numbers_them() -> None:
    long = "Behovet gjelder mange tjenester samtidig, og de må ses i sammenheng. " * 55
    referral = child_referral(need={"description": long}, goals=long, resources=long)
    blob = referral_pdf(referral, case())
    reader = pypdf.PdfReader(io.BytesIO(blob))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Side {pages} av {pages}" in reader.pages[-1].extract_text()


def test_pdf_warns_about_a_bad_signature_on_the_first_page() -> None:
    reader = pypdf.PdfReader(io.BytesIO(referral_pdf(child_referral(), case(signature_ok=False))))
    assert "UGYLDIG ELLER MANGLER" in reader.pages[0].extract_text()


def test_pdf_in_english() -> None:
    text = pdf_text(referral_pdf(child_referral(), case(), language="en"))
    assert "Referral: need for an individual plan" in text
    assert "Page 1 of" in text


def test_letters_the_font_lacks_become_boxes_and_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    need = "Hjelp fra mange tjenester samtidig, navnet skrives 山田 på japansk."
    blob = referral_pdf(child_referral(need={"description": need}), case())
    assert "navnet skrives □□ på japansk" in " ".join(pdf_text(blob).split())
    assert "山" not in caplog.text
