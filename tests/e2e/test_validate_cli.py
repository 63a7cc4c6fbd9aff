"""`ke-intake validate` and `ke-intake schema` as a user runs them, on real files.

Most cases call the command line's `main()` in this process (a `ke-intake` process spends over a
second importing pydantic models); a few run the installed entry point as a real process to
prove the wiring, exit codes and streams end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.serving import KE_INTAKE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ON = "2026-11-22"  # the examples' ages and due date are judged as of this day


def process(*args: str) -> tuple[int, str, str]:
    """The real `ke-intake` console script, with no KE_ settings from this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    proc = subprocess.run(
        [str(KE_INTAKE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean,
        cwd=ROOT,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., tuple[int, str, str]]:
    """`main(argv)` in this process: (exit code, stdout, stderr), settings only from `env`."""
    for name in [k for k in os.environ if k.startswith("KE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file

    def call(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        with monkeypatch.context() as m:
            for name, value in (env or {}).items():
                m.setenv(name, value)
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return call


Run = Callable[..., tuple[int, str, str]]


def example(name: str) -> str:
    return str(EXAMPLES / f"{name}.json")


VALID = sorted(p.stem for p in EXAMPLES.glob("valid-*.json"))

INVALID = {
    "invalid-checksum": {"person.national_id"},
    "invalid-future-birth": {"person.national_id"},
    "invalid-child-consent": {"guardians", "consent.given_by", "consent.child_heard"},
    "invalid-adult-requests": {
        "requests",
        "consent.individual_plan",
        "consent.share_between_services",
        "consent.acknowledged",
    },
    "invalid-provider": {
        "submitter.organisation",
        "submitter.job_title",
        "submitter.not_informed_reason",
        "submitter.person_informed",
    },
    "invalid-fields": {"kommune", "submitter.email", "person.address.postcode", "favourite_colour"},
    "invalid-adult-without-capacity": {
        "attachments",
        "consent.given_by",
        "consent.lacks_capacity_reason",
    },
}


def test_every_example_is_covered() -> None:
    names = {p.stem for p in EXAMPLES.glob("*.json")}
    assert names == set(VALID) | set(INVALID)
    assert {"valid-self", "valid-parent", "valid-guardian", "valid-attorney"} <= set(VALID)
    assert {"valid-relative", "valid-provider", "valid-unborn"} <= set(VALID)


def assert_no_personal_data(name: str, output: str) -> None:
    data = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
    person = data["person"]
    secrets = [person.get("national_id"), person["given_name"], person["family_name"]]
    secrets += [data["submitter"]["name"], data["submitter"].get("phone")]
    for secret in filter(None, secrets):
        assert secret not in output
    if person.get("national_id"):
        assert person["national_id"][6:] not in output  # not even a masked number's tail


@pytest.mark.parametrize("name", VALID)
def test_valid_examples_pass_with_one_ok_line(run: Run, name: str) -> None:
    code, out, err = run("validate", example(name), "--allow-synthetic", "--on", ON)
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 1
    assert out.startswith("OK: ")
    assert_no_personal_data(name, out)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_examples_list_one_line_per_problem(run: Run, name: str) -> None:
    code, out, err = run("validate", example(name), "--allow-synthetic", "--on", ON)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    fields = [line.split(": ", 1)[0] for line in lines]
    assert set(fields) == INVALID[name]
    assert len(fields) == len(set(fields))
    assert all(line.split(": ", 1)[1].strip() for line in lines)
    assert_no_personal_data(name, out)
    # Without the flag the synthetic number is one more problem, still without the number.
    code, out, _ = run("validate", example(name), "--on", ON)
    assert code == 1
    assert_no_personal_data(name, out)


def test_synthetic_ids_are_refused_without_the_flag(run: Run) -> None:
    code, out, _ = run("validate", example("valid-self"), "--on", ON)
    assert code == 1
    assert out == "person.national_id: Dette er et testnummer, ikke et ekte fødselsnummer.\n"


def test_the_setting_allows_synthetic_ids_too(run: Run) -> None:
    code, _, _ = run(
        "validate", example("valid-self"), "--on", ON, env={"KE_ALLOW_SYNTHETIC_IDS": "true"}
    )
    assert code == 0


def test_the_consent_age_setting_is_honoured(run: Run) -> None:
    args = ("validate", example("valid-provider"), "--allow-synthetic", "--on", ON)
    assert run(*args)[0] == 0  # a 16-year-old consents under the default
    code, out, _ = run(*args, env={"KE_CONSENT_AGE": "18"})
    assert code == 1
    assert "consent.given_by: Under 18 år" in out


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("nb", "Kontrollsifrene stemmer ikke"),
        ("nn", "Kontrollsifra stemmer ikkje"),
        ("en", "The check digits do not match"),
    ],
)
def test_messages_in_each_language(run: Run, lang: str, text: str) -> None:
    code, out, _ = run("validate", example("invalid-checksum"), "--on", ON, "--lang", lang)
    assert code == 1
    assert out.startswith(f"person.national_id: {text}")


def test_the_language_setting_is_the_default(run: Run) -> None:
    args = ("validate", example("invalid-checksum"), "--on", ON)
    assert "Kontrollsifra" in run(*args, env={"KE_LANGUAGE": "nn"})[1]
    assert "Kontrollsifrene" in run(*args, env={"KE_LANGUAGE": "xx"})[1]
    assert "check digits" in run(*args, "--lang", "en", env={"KE_LANGUAGE": "nn"})[1]


def test_a_broken_setting_is_a_clear_error(run: Run) -> None:
    code, out, err = run("validate", example("valid-self"), env={"KE_CONSENT_AGE": "sixteen"})
    assert (code, out) == (2, "")
    assert err == "Ugyldig innstilling: KE_CONSENT_AGE.\n"


def test_on_moves_the_day_the_rules_are_judged(run: Run) -> None:
    args = ("validate", example("valid-unborn"), "--allow-synthetic")
    assert run(*args, "--on", ON)[0] == 0
    code, out, _ = run(*args, "--on", "2027-06-01", "--lang", "en")
    assert code == 1
    assert out == "person.due_date: The due date must be in the future.\n"


@pytest.mark.parametrize(
    ("content", "key_text"),
    [
        (b"", "ikke gyldig JSON"),
        (b"{not json", "ikke gyldig JSON"),
        (b"\xff\xfe\x00garbage", "ikke gyldig JSON"),
        (b"[1, 2]", "ett JSON-objekt"),
        (b'"a referral"', "ett JSON-objekt"),
        (b"null", "ett JSON-objekt"),
    ],
)
def test_files_that_are_not_a_json_object_exit_2(
    run: Run, tmp_path: Path, content: bytes, key_text: str
) -> None:
    path = tmp_path / "referral.json"
    path.write_bytes(content)
    code, out, err = run("validate", str(path))
    assert (code, out) == (2, "")
    assert key_text in err
    assert "Traceback" not in err


def test_a_utf8_bom_is_tolerated(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "referral.json"
    path.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "valid-self.json").read_bytes())
    assert run("validate", str(path), "--allow-synthetic", "--on", ON)[0] == 0


def test_unreadable_files_exit_2(run: Run, tmp_path: Path) -> None:
    for path in (tmp_path / "missing.json", tmp_path):
        code, out, err = run("validate", str(path), "--lang", "en")
        assert (code, out) == (2, "")
        assert "cannot be read" in err
        assert "Traceback" not in err


def test_a_bad_date_option_is_a_usage_error(run: Run) -> None:
    code, _, err = run("validate", example("valid-self"), "--on", "22.11.2026")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_schema_prints_the_json_schema(run: Run) -> None:
    code, out, err = run("schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema["$id"].endswith("/referral/v1.json")
    assert "person" in schema["properties"]


# --- the installed console script, as a separate process -----------------------------------


@pytest.mark.slow
def test_process_valid_invalid_and_unreadable() -> None:
    code, out, err = process("validate", example("valid-parent"), "--allow-synthetic", "--on", ON)
    assert (code, err) == (0, "") and out.startswith("OK: ")
    code, out, err = process("validate", example("invalid-checksum"), "--on", ON, "--lang", "en")
    assert (code, err) == (1, "")
    assert out == "person.national_id: The check digits do not match. Check for typing errors.\n"
    code, out, err = process("validate", str(ROOT / "pyproject.toml"))
    assert (code, out) == (2, "")
    assert "ikke gyldig JSON" in err


@pytest.mark.slow
def test_process_schema() -> None:
    code, out, err = process("schema")
    assert (code, err) == (0, "")
    assert json.loads(out)["title"].startswith("ke-intake referral")


# --- referrals written from REFERRAL.md's table alone, with its published example numbers -----

FROM_THE_TABLE = {
    "kommune": "0301",
    "requests": ["coordinator"],
    "submitter": {"role": "self", "name": "Ola Testesen"},
    "person": {
        "given_name": "Ola",
        "family_name": "Testesen",
        "national_id": "30108299920",
        "address": {"street": "Testgata 1", "postcode": "0154", "city": "Oslo"},
        "phone": "912 34 567",
        "interpreter": {"needed": False},
    },
    "need": {
        "description": "Jeg har mange tjenester som ikke snakker sammen og trenger en koordinator.",
        "life_areas": ["health_treatment", "housing"],
    },
    "consent": {"coordinator": True, "given_by": "person", "acknowledged": True},
}


@pytest.mark.parametrize("number", ["30108299920", "30108299939"])
def test_a_referral_written_from_the_table_is_valid_without_flags(
    run: Run, tmp_path: Path, number: str
) -> None:
    data = {**FROM_THE_TABLE, "person": {**FROM_THE_TABLE["person"], "national_id": number}}
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(data), "utf-8")
    code, out, _ = run("validate", str(path), "--on", ON)
    assert code == 0, out


def test_the_2032_example_born_in_the_future_is_invalid_today(run: Run, tmp_path: Path) -> None:
    data = {**FROM_THE_TABLE, "person": {**FROM_THE_TABLE["person"], "national_id": "02013299997"}}
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(data), "utf-8")
    code, out, _ = run("validate", str(path), "--on", ON, "--lang", "en")
    assert code == 1
    assert out == "person.national_id: The date of birth cannot be in the future.\n"
    assert run("validate", str(path), "--on", "2051-01-02")[0] == 0  # an adult by then
