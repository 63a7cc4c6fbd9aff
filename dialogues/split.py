"""Several facts in one answer: a step with `"split": NAME` in flow.json asks for them together,
and the splitter finds each part ("Kirkeveien 12B, 0368 Oslo" -> street, postcode, city).

A splitter returns the raw text of each part it found, keyed by the last part of its field id
(`postcode` for `person.address.postcode`); the engine validates each with its own step's
validator and stores it, so the question for that part is not asked. A part mapped to None was
left out of a question that asked for it as optional ("telefon og e-post"): it counts as
skipped. A part not returned at all is asked on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from intake.address import split_address

Parts = dict[str, str | None]
# Particles that belong to the family name ("Anne de Vries").
_PARTICLES = frozenset({"de", "van", "von", "da", "di", "af", "av", "le", "la", "der", "den"})

_EMAIL = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]+\.[^\s,;<>()]+")
# A phone number at the end of a line: digits with spaces, dots or dashes, perhaps a +.
_PHONE_TAIL = re.compile(
    r"[,;:\s]+(?:tlf\.?|telefon|tel\.?|phone|mob\.?|mobil)?\s*(\+?[\d][\d .\-]{6,}\d)$"
)
_JOINERS = re.compile(r"^\s*(?:,|;|og|and|eller|or|/)\s*|\s*(?:,|;|og|and|eller|or|/)\s*$")
# "Fysioterapi hos kommunen", "Oppfølging frå NAV", "Physiotherapy from the municipality".
_PROVIDER = re.compile(
    r"^(?P<service>.+?)(?:\s*,\s*|\s+(?:hos|fra|frå|ved|via|i regi av|gjennom|from|at|by)\s+)"
    r"(?P<provider>.+)$",
    re.IGNORECASE,
)
# "Kari Lege, Sentrum legesenter", "Dr. Berg på Sentrum legesenter".
_CLINIC = re.compile(r"^(?P<name>.+?)(?:\s*,\s*|\s+(?:på|ved|at)\s+)(?P<clinic>.+)$", re.IGNORECASE)


def full_name(raw: str) -> Parts:
    """'Ingrid Marie Haugland' -> given 'Ingrid Marie', family 'Haugland'; particles go with
    the family name ('Anne de Vries'). One word is the given name; the family name is asked."""
    words = raw.split()
    if len(words) < 2:
        return {"given_name": raw.strip()}
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].casefold() in {
        "de",
        "van",
        "von",
        "da",
        "di",
        "af",
        "av",
        "le",
        "la",
    }:
        cut -= 1
    return {"given_name": " ".join(words[:cut]), "family_name": " ".join(words[cut:])}


def contact(raw: str) -> Parts:
    """A phone number and an e-mail address in either order; what is left out is skipped."""
    email = _EMAIL.search(raw)
    rest = raw
    if email:
        rest = (raw[: email.start()] + " " + raw[email.end() :]).strip()
    rest = _JOINERS.sub("", rest).strip()
    return {"phone": rest or None, "email": email.group(0) if email else None}


def address(raw: str) -> Parts:
    parts = split_address(raw)
    found: Parts = {"street": parts.street}
    if parts.postcode is not None:
        found["postcode"] = parts.postcode
    if parts.city is not None:
        found["city"] = parts.city
    return found


def service(raw: str) -> Parts:
    """A service, who gives it, and perhaps a contact person there with a phone number
    ('Fysioterapi hos kommunen, Kari Hansen 912 34 567'). The provider is asked when it is
    not there; a contact left out is skipped (the line asked for it as optional)."""
    text = raw.strip()
    found: Parts = {"contact_name": None, "phone": None}
    head, sep, tail = text.partition(",")
    rest = tail.strip()
    if sep and "," in rest:
        provider_text, _, contact_text = rest.partition(",")
        found |= _contact_parts(contact_text)
        text = f"{head}, {provider_text.strip()}"
    elif sep and _PHONE_TAIL.search(" " + rest):
        found |= _contact_parts(rest)
        text = head
    m = _PROVIDER.match(text)
    if not m:
        return {"service": text.strip(" ,"), **found}
    provider = m.group("provider").strip(" .")
    return {"service": m.group("service").strip(), "provider": provider, **found}


def _contact_parts(raw: str) -> Parts:
    parts = person_phone(raw)
    return {k: v for k, v in parts.items() if v is not None}


def person_phone(raw: str) -> Parts:
    """A contact person and a phone number ('Kari Hansen, 912 34 567'); either may be left out."""
    text = raw.strip()
    m = _PHONE_TAIL.search(" " + text)
    if m:
        name = (" " + text)[: m.start()].strip(" ,;")
        return {"contact_name": name or None, "phone": m.group(1)}
    if re.fullmatch(r"\+?[\d .\-]{8,}", text):
        return {"contact_name": None, "phone": text}
    return {"contact_name": text, "phone": None}


def relative(raw: str) -> Parts:
    """'Kari Lien, datter, 998 87 766': a name, what they are to the person, a phone number;
    what is left out is asked (the relationship) or skipped (the phone)."""
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    found: Parts = {"phone": None}
    if fields and re.fullmatch(r"\+?[\d .\-]{8,}", fields[-1]):
        found["phone"] = fields.pop()
    elif fields:
        tail = person_phone(fields[-1])
        if tail["phone"] is not None and tail["contact_name"]:
            found["phone"] = tail["phone"]
            fields[-1] = tail["contact_name"]
    if not fields:
        return {"name": raw.strip(), **found}
    found["name"] = fields[0]
    if len(fields) > 1:
        found["relationship"] = ", ".join(fields[1:])
    return found


def guardian(raw: str) -> Parts:
    """A parent's name and phone number on one line; the phone may be left out."""
    parts = person_phone(raw)
    return {"name": parts["contact_name"] or raw.strip(), "phone": parts["phone"]}


def organisation(raw: str) -> Parts:
    """'Hjemmesykepleien Midtbyen, 974 760 673': the name, and the org number when given."""
    m = re.fullmatch(
        r"(?P<name>.*?[^\W\d_].*?)[,\s]+(?:org\.?\s*(?:nr\.?)?\s*)?(?P<nr>\d[\d ]{7,}\d)",
        raw.strip(),
    )
    if not m:
        return {"name": raw.strip()}
    return {"name": m.group("name").strip(" ,"), "org_number": m.group("nr")}


def gp(raw: str) -> Parts:
    """The GP and the clinic ('Kari Lege, Sentrum legesenter'); the clinic may be left out."""
    m = _CLINIC.match(raw.strip())
    if not m:
        return {"name": raw.strip(), "clinic": None}
    return {"name": m.group("name").strip(), "clinic": m.group("clinic").strip(" .")}


SPLITTERS: dict[str, Callable[[str], Parts]] = {
    "full_name": full_name,
    "contact": contact,
    "address": address,
    "service": service,
    "person_phone": person_phone,
    "gp": gp,
    "relative": relative,
    "guardian": guardian,
    "organisation": organisation,
}
