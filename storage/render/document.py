"""A referral laid out as the KE's paper form: numbered sections of labelled fields.

Both renderers (terminal text and PDF) draw this one layout, so the summary a caseworker reads
on screen and the PDF archived in the case system never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from intake.kommuner import kommune_name, kommuner
from intake.model import Referral, Request
from intake.rules import birth_date_of, uninformed_guardians
from storage.render.formatting import fmt_date, fmt_datetime, fmt_phone, fmt_size
from storage.render.labels import Labels

# No channel verifies identity yet (an ID-porten form would); a referral from any of them
# must be confirmed by the KE when it makes contact.
# Channels whose filer proved who they are (a login with ID-porten in the web chat).
DASH = "–"  # an empty table cell (the text renderer leaves such cells out)
VERIFIED_CHANNELS: frozenset[str] = frozenset({"web_idporten"})


def identity_verified(channel: str) -> bool:
    return channel in VERIFIED_CHANNELS


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """What the inbox knows about a referral without opening it, plus the caseworker's view."""

    reference: str
    recipient: str
    received_at: dt.datetime
    channel: str
    status: str = "received"
    outcome: str | None = None
    coordinator: str | None = None
    signature_ok: bool | None = None
    # The person's age on the day the caseworker looks (the renderers never read the clock).
    age: int | None = None
    # The case history, oldest first, as staff read it: (time, what, who, note).
    history: tuple[tuple[dt.datetime, str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Checks:
    """A row of tick boxes, as the paper form has for what is requested."""

    options: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    warning: bool = False


Item = Field | Checks | Table | Note


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    recipient_line: str
    confidential: str
    reference: str | None
    warnings: tuple[str, ...]
    case: Section | None
    sections: tuple[Section, ...]
    footer: str


def recipient_name(recipient: str) -> str:
    """'4601' -> 'Bergen (4601)'; a KE that is not a municipality keeps its id."""
    if recipient in kommuner():
        return f"{kommune_name(recipient)} ({recipient})"
    return recipient


def _table(lb: Labels, headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> Table:
    """A table whose `headers` are label keys."""
    return Table(tuple(lb.t(h) for h in headers), rows)


def _table_section(
    lb: Labels, title: str, headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...]
) -> Section:
    """The section `title` holding one table, or nothing when there are no rows."""
    return Section(lb.t(title), (_table(lb, headers, rows),) if rows else ())


def _history(case: CaseInfo, lb: Labels) -> Section:
    headers = ("case.history_when", "case.history_what", "case.history_who", "case.history_note")
    rows = tuple(
        (fmt_datetime(at), what, who, note or DASH) for at, what, who, note in case.history
    )
    return _table_section(lb, "case.history", headers, rows)


def build_document(referral: Referral, case: CaseInfo | None, labels: Labels) -> Document:
    lb = labels
    meta = referral.meta
    channel = case.channel if case else (meta.channel.value if meta else None)
    reference = case.reference if case else (meta.reference if meta else None)
    warnings: list[str] = []
    if case is not None and case.signature_ok is False:
        warnings.append(lb.t("case.signature_bad"))
    for name in uninformed_guardians(referral):
        warnings.append(lb.t("case.guardian_not_informed", name=name))
    sections = [
        s
        for s in (
            _requests(referral, lb),
            _person(referral, lb),
            _guardians(referral, lb),
            _submitter(referral, lb),
            _need(referral, lb),
            _services(referral, lb),
            _existing_plan(referral, lb),
            _goals(referral, lb),
            _coordinator_wish(referral, lb),
            _network(referral, lb),
            _consent(referral, lb),
            _attachments(referral, lb),
            _history(case, lb) if case is not None else Section("", ()),
        )
        if s.items
    ]
    submitted_at = meta.submitted_at if meta else (case.received_at if case else None)
    footer = ""
    if submitted_at is not None and channel is not None:
        footer = lb.t(
            "document.submitted_digitally",
            at=fmt_datetime(submitted_at),
            channel=lb.enum("channel", channel),
        )
    return Document(
        title=lb.t("document.title"),
        recipient_line=lb.t("document.to_ke", kommune=recipient_name(referral.kommune)),
        confidential=lb.t("document.confidential"),
        reference=reference,
        warnings=tuple(warnings),
        case=_case(case, lb, meta.language if meta else None) if case else None,
        sections=tuple(sections),
        footer=footer,
    )


def _fields(pairs: Iterable[tuple[str, str | None]], labels: Labels) -> list[Item]:
    """Label/value rows; a row whose value is None is left out, one marked with a leading '!'
    is a form field the KE always expects, shown as 'not given' when empty."""
    out: list[Item] = []
    for key, value in pairs:
        keep = key.startswith("!")
        label = labels.t(key.lstrip("!"))
        if value is None or value == "":
            if keep:
                out.append(Field(label, labels.t("document.not_given")))
            continue
        out.append(Field(label, value))
    return out


def _join(parts: Iterable[str | None], sep: str = ", ") -> str | None:
    kept = [p for p in parts if p]
    return sep.join(kept) if kept else None


def _phone(value: str | None) -> str | None:
    return fmt_phone(value) if value else None


def _case(case: CaseInfo, lb: Labels, language: str | None) -> Section:
    channel = lb.enum("channel", case.channel)
    identity = (
        lb.t("case.identity_verified", channel=channel)
        if identity_verified(case.channel)
        else lb.t("case.identity_unverified", channel=channel)
    )
    if case.signature_ok is None:
        signature = lb.t("case.signature_unchecked")
    else:
        signature = lb.t("case.signature_ok" if case.signature_ok else "case.signature_bad")
    rows = [
        Field(lb.t("case.reference"), case.reference),
        Field(lb.t("case.recipient"), recipient_name(case.recipient)),
        Field(lb.t("case.received"), fmt_datetime(case.received_at)),
        Field(lb.t("case.channel"), channel),
        Field(lb.t("case.status"), lb.enum("status", case.status)),
    ]
    if case.outcome:
        rows.append(Field(lb.t("case.outcome"), lb.enum("outcome", case.outcome)))
    rows += [
        Field(lb.t("case.coordinator"), case.coordinator or lb.t("case.unassigned")),
        Field(lb.t("case.identity"), identity),
        Field(lb.t("case.signature"), signature),
    ]
    if case.age is not None:
        rows.append(Field(lb.t("case.age"), lb.t("case.age_years", n=case.age)))
    if language is not None:
        rows.append(Field(lb.t("case.language"), lb.enum("language", language)))
    return Section(lb.t("case.title"), tuple(rows))


def _requests(r: Referral, lb: Labels) -> Section:
    options = tuple((lb.enum("request", q.value), q in r.requests) for q in Request)
    return Section(lb.t("section.requests"), (Checks(options),))


def _person(r: Referral, lb: Labels) -> Section:
    p = r.person
    born = birth_date_of(r)
    address = f"{p.address.street}, {p.address.postcode} {p.address.city}" if p.address else None
    contact = None
    if p.contact_preference:
        channel = p.contact_preference.channel
        contact = _join([lb.enum("contact_channel", channel.value) if channel else None])
    interpreter = None
    if p.interpreter is not None:
        interpreter = (
            lb.t("field.interpreter_needed", language=p.interpreter.language or "?")
            if p.interpreter.needed
            else lb.t("field.interpreter_not_needed")
        )
    gp = _join([p.gp.name, p.gp.clinic]) if p.gp else None
    pairs: list[tuple[str, str | None]] = [("!field.name", f"{p.given_name} {p.family_name}")]
    if p.unborn:
        pairs += [
            ("field.unborn", lb.t("document.yes")),
            ("!field.due_date", fmt_date(p.due_date) if p.due_date else None),
        ]
    else:
        pairs += [
            ("!field.national_id", p.national_id),
            ("!field.birth_date", fmt_date(born) if born else None),
            ("!field.address", address),
        ]
    pairs += [
        ("!field.phone", _phone(p.phone)),
        ("field.email", p.email),
        ("field.contact_preference", contact),
        ("field.best_time", p.contact_preference.best_time if p.contact_preference else None),
        ("!field.interpreter", interpreter),
        ("!field.gp", gp),
    ]
    return Section(lb.t("section.person"), tuple(_fields(pairs, lb)))


def _guardians(r: Referral, lb: Labels) -> Section:
    headers = ("field.name", "field.phone", "field.parental_responsibility", "field.informed")
    rows = tuple(
        (
            g.name,
            _phone(g.phone) or DASH,
            lb.yes_no(g.parental_responsibility) or DASH,
            lb.yes_no(g.informed) or DASH,
        )
        for g in r.guardians
    )
    return _table_section(lb, "section.guardians", headers, rows)


def _submitter(r: Referral, lb: Labels) -> Section:
    s = r.submitter
    org = s.organisation
    pairs: list[tuple[str, str | None]] = [
        ("!field.role", lb.enum("role", s.role.value)),
        ("!field.name", s.name),
        ("field.phone", _phone(s.phone)),
        ("field.email", s.email),
        ("field.relationship", s.relationship),
        ("field.organisation", org.name if org else None),
        ("field.org_number", org.org_number if org else None),
        ("field.job_title", s.job_title),
        ("field.person_informed", lb.yes_no(s.person_informed)),
        ("field.not_informed_reason", s.not_informed_reason),
        ("field.authority", lb.enum("authority", s.authority.value) if s.authority else None),
        ("field.authority_document_follows", lb.yes_no(s.authority_document_follows)),
    ]
    return Section(lb.t("section.submitter"), tuple(_fields(pairs, lb)))


def _need(r: Referral, lb: Labels) -> Section:
    n = r.need
    areas = _join(lb.enum("life_area", a.value) for a in n.life_areas)
    pairs: list[tuple[str, str | None]] = [
        ("!field.description", n.description),
        ("!field.duration", n.duration),
        ("!field.life_areas", areas),
        ("field.diagnosis", n.diagnosis),
    ]
    return Section(lb.t("section.need"), tuple(_fields(pairs, lb)))


def _services(r: Referral, lb: Labels) -> Section:
    headers = ("field.service", "field.provider", "field.contact_name", "field.phone")
    rows = tuple(
        (c.service, c.provider or DASH, c.contact_name or DASH, _phone(c.phone) or DASH)
        for c in r.current_services
    )
    return _table_section(lb, "section.services", headers, rows)


def _existing_plan(r: Referral, lb: Labels) -> Section:
    e = r.existing_plan
    if e is None:
        return Section(lb.t("section.existing_plan"), ())
    pairs: list[tuple[str, str | None]] = [
        ("field.has_individual_plan", lb.yes_no(e.has_individual_plan)),
        ("field.has_coordinator", lb.yes_no(e.has_coordinator)),
        ("field.where", e.where),
    ]
    return Section(lb.t("section.existing_plan"), tuple(_fields(pairs, lb)))


def _goals(r: Referral, lb: Labels) -> Section:
    pairs: list[tuple[str, str | None]] = [
        ("!field.goals", r.goals),
        ("field.resources", r.resources),
    ]
    return Section(lb.t("section.goals"), tuple(_fields(pairs, lb)))


def _coordinator_wish(r: Referral, lb: Labels) -> Section:
    w = r.preferred_coordinator
    if w is None or not (w.name or w.workplace or w.reason):
        return Section(lb.t("section.coordinator_wish"), ())
    pairs: list[tuple[str, str | None]] = [
        ("field.preferred_name", w.name),
        ("field.workplace", w.workplace),
        ("field.reason", w.reason),
    ]
    items = [*_fields(pairs, lb), Note(lb.t("field.preference_note"))]
    return Section(lb.t("section.coordinator_wish"), tuple(items))


def _network(r: Referral, lb: Labels) -> Section:
    items: list[Item] = []
    if r.relatives_to_involve:
        headers = ("field.relative", "field.relationship", "field.phone")
        rows = tuple(
            (x.name, x.relationship or DASH, _phone(x.phone) or DASH)
            for x in r.relatives_to_involve
        )
        items.append(_table(lb, headers, rows))
    sp = r.support_person
    if sp is not None:
        value = _join([sp.name, sp.relationship, _phone(sp.phone)])
        items += _fields([("field.support_person", value)], lb)
    return Section(lb.t("section.network"), tuple(items))


def _consent(r: Referral, lb: Labels) -> Section:
    c = r.consent
    sources = _join(lb.enum("information_source", s.value) for s in c.obtain_information_from)
    wants_ip = Request.individual_plan in r.requests
    wants_coord = bool({Request.coordinator, Request.child_coordinator} & set(r.requests))
    pairs: list[tuple[str, str | None]] = [
        (
            "!field.consent_individual_plan" if wants_ip else "field.consent_individual_plan",
            lb.yes_no(c.individual_plan),
        ),
        (
            "!field.consent_coordinator" if wants_coord else "field.consent_coordinator",
            lb.yes_no(c.coordinator),
        ),
        ("!field.obtain_information_from", sources),
        ("field.share_between_services", lb.yes_no(c.share_between_services)),
        ("!field.given_by", lb.enum("consent_giver", c.given_by.value)),
        ("field.lacks_capacity_reason", c.lacks_capacity_reason),
        ("field.child_heard", lb.yes_no(c.child_heard)),
        ("!field.acknowledged", lb.yes_no(c.acknowledged)),
    ]
    return Section(lb.t("section.consent"), tuple(_fields(pairs, lb)))


def _attachments(r: Referral, lb: Labels) -> Section:
    headers = ("field.kind", "field.filename", "field.media_type", "field.size", "field.checksum")
    rows = tuple(
        (lb.enum("attachment_kind", a.kind), a.filename, a.media_type, fmt_size(a.size),
         a.sha256[:16])
        for a in r.attachments
    )  # fmt: skip
    return _table_section(lb, "section.attachments", headers, rows)
