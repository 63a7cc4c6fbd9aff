"""The KE's overview (seed 002: how many referrals, how many plans and coordinators, who
coordinates which case, how long cases wait), computed from readable columns; the request types
only with the private key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.staff.workflow import OPEN_STATUSES
from storage.inbox import OUTCOMES, STATUSES, InboxRecord, StatusEvent
from storage.inbox.audit import utc
from storage.render import Labels
from storage.render.formatting import OSLO


@dataclass
class Overview:
    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_month: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_request: Counter[str] | None = None
    unopened: int = 0
    waits: list[timedelta] = field(default_factory=list)
    still_waiting: list[timedelta] = field(default_factory=list)
    coordinators: dict[str, list[str]] = field(default_factory=dict)


def appointed_at(events: Sequence[StatusEvent]) -> datetime | None:
    """When a coordinator was first appointed, if ever."""
    times = [utc(e.at) for e in events if e.status == "coordinator_appointed"]
    return min(times) if times else None


def overview(
    records: Sequence[InboxRecord],
    events: Mapping[str, Sequence[StatusEvent]],
    now: datetime,
    requests: Mapping[str, Sequence[str]] | None = None,
    unopened: int = 0,
) -> Overview:
    ov = Overview(total=len(records), unopened=unopened)
    if requests is not None:
        ov.by_request = Counter(q for refs in requests.values() for q in refs)
    for r in records:
        received = utc(r.received_at)
        ov.by_status[r.status] += 1
        if r.outcome:
            ov.by_outcome[r.outcome] += 1
        ov.by_month[received.astimezone(OSLO).strftime("%Y-%m")] += 1
        ov.by_channel[r.channel] += 1
        if r.coordinator:
            ov.coordinators.setdefault(r.coordinator, []).append(r.reference)
        appointed = appointed_at(events.get(r.reference, ()))
        if appointed is not None:
            ov.waits.append(appointed - received)
        elif r.status in OPEN_STATUSES:
            ov.still_waiting.append(utc(now) - received)
    return ov


def median(values: Sequence[timedelta]) -> timedelta:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def fmt_duration(value: timedelta, lang: str) -> str:
    from bot.staff.texts import t

    hours = value.total_seconds() / 3600
    if hours < 48:
        return t("hours", lang, n=max(0, round(hours)))
    return t("days", lang, n=round(hours / 24))


def render_overview(ov: Overview, lang: str) -> str:
    from bot.staff.texts import t

    labels = Labels(lang)  # type: ignore[arg-type]
    out = [t("stats_title", lang), "", f"{t('stats_total', lang)}: {ov.total}", ""]
    out.append(t("stats_by_status", lang))
    out += _counts([(labels.enum("status", s), ov.by_status[s]) for s in STATUSES])
    if ov.by_outcome:
        out += ["", t("stats_by_outcome", lang)]
        out += _counts([(labels.enum("outcome", o), ov.by_outcome[o]) for o in OUTCOMES])
    out += ["", t("stats_by_request", lang)]
    if ov.by_request is None:
        out.append("  " + t("stats_request_needs_key", lang))
    else:
        requests = ("individual_plan", "coordinator", "child_coordinator")
        out += _counts([(labels.enum("request", q), ov.by_request[q]) for q in requests])
        if ov.unopened:
            out += _counts([(t("stats_unopened", lang), ov.unopened)])
    out += ["", t("stats_by_month", lang)]
    out += _counts(sorted(ov.by_month.items()))
    out += ["", t("stats_by_channel", lang)]
    out += _counts([(labels.enum("channel", c), n) for c, n in sorted(ov.by_channel.items())])
    out += ["", t("stats_waiting", lang)]
    if ov.waits:
        line = t(
            "stats_waiting_line",
            lang,
            median=fmt_duration(median(ov.waits), lang),
            max=fmt_duration(max(ov.waits), lang),
            count=len(ov.waits),
        )
        out.append("  " + line)
    else:
        out.append("  " + t("stats_waiting_none", lang))
    if ov.still_waiting:
        line = t(
            "stats_still_waiting_line",
            lang,
            count=len(ov.still_waiting),
            max=fmt_duration(max(ov.still_waiting), lang),
        )
        out += ["", t("stats_still_waiting", lang), "  " + line]
    if ov.coordinators:
        out += ["", t("stats_coordinators", lang)]
        for name in sorted(ov.coordinators):
            refs = ", ".join(sorted(ov.coordinators[name]))
            out.append(f"  {name}: {refs}")
    return "\n".join(out) + "\n"


def _counts(rows: Sequence[tuple[str, int]]) -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"  {label:<{width}}  {count:>5}" for label, count in rows]
