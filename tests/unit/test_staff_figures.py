"""The overview's figures (median and 90th percentile of time to coordinator, open cases by age,
months without referrals shown as zero, caseload), search and the duplicate rule, and the charts
as self-contained SVG."""

from __future__ import annotations

import datetime as dt
import uuid

from bot.staff.cases import Summary, duplicates, search, search_kind
from bot.staff.charts import bar_chart
from bot.staff.figures import figures, percentile
from storage.inbox import InboxRecord, StatusEvent

T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


def record(ref: str, days_ago: float, status: str = "received", coordinator: str | None = None):
    return InboxRecord(
        id=uuid.uuid4(),
        reference=ref,
        recipient="0301",
        received_at=T0 - dt.timedelta(days=days_ago),
        status=status,
        outcome="forwarded" if status == "closed" else None,
        channel="web",
        key_ids=("k",),
        size=1,
        coordinator=coordinator,
        signature_ok=True,
    )


def test_percentiles() -> None:
    assert percentile([], 50) is None
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile([5.0], 90) == 5.0


def test_figures_from_records_and_events() -> None:
    records = [
        record("KE-A", 70, "coordinator_appointed", "Ola"),
        record("KE-B", 40, "closed", "Ola"),
        record("KE-C", 10),
        record("KE-D", 3, "in_review"),
    ]
    appointed = {
        "KE-A": T0 - dt.timedelta(days=60),  # 10 days after reception
        "KE-B": T0 - dt.timedelta(days=20),  # 20 days after
    }
    events = {
        ref: [StatusEvent("coordinator_appointed", None, at, "Kari", None)]
        for ref, at in appointed.items()
    }
    fig = figures(records, events, T0, {"KE-A": ["coordinator"], "KE-C": ["individual_plan"]})
    assert fig.by_month == [("2025-11", 1), ("2025-12", 2), ("2026-01", 1)]
    assert fig.median_days == 15.0 and fig.p90_days == 20.0
    assert dict(fig.open_by_age) == {
        "age_0_7": 1,
        "age_8_14": 1,
        "age_15_30": 0,
        "age_31_60": 0,
        "age_61": 1,
    }
    assert fig.coordinators == [("Ola", 1, 2)]
    assert fig.by_request == [("individual_plan", 1), ("coordinator", 1), ("child_coordinator", 0)]
    assert figures(records, events, T0, None).by_request is None


def summary(ref: str, days: int, nid: str | None, name: str = "Kari Nordmann") -> Summary:
    given, family = name.split()
    return Summary(
        reference=ref,
        received_at=T0 + dt.timedelta(days=days),
        given_name=given,
        family_name=family,
        national_id=nid,
        birth_date=dt.date(1980, 1, 1),
        unborn=False,
        age=46,
        requests=("coordinator",),
        language="nb",
    )


def test_search_kinds_and_matches() -> None:
    items = [summary("KE-AAAA-0001", 0, "10915596784"), summary("KE-AAAA-0002", 1, None, "Per Li")]
    assert search_kind("ke-aaaa-0001") == "reference"
    assert search(items, "ke aaaa 0001") == ("reference", ["KE-AAAA-0001"])
    assert search(items, "109155 96784") == ("national_id", ["KE-AAAA-0001"])
    assert search(items, "kari nor") == ("name", ["KE-AAAA-0001"])
    assert search(items, "nordmann kari") == ("name", ["KE-AAAA-0001"])
    assert search(items, "ari") == ("name", [])  # words start, they do not merely occur


def test_duplicates_are_the_same_person_within_90_days() -> None:
    items = [
        summary("KE-1", 0, "10915596784"),
        summary("KE-2", 90, "10915596784"),
        summary("KE-3", 181, "10915596784"),  # 91 days after KE-2
        summary("KE-4", 5, None),  # same name and birth date, no id
        summary("KE-5", 6, None),
        summary("KE-6", 7, None, "Per Li"),
    ]
    found = duplicates(items)
    assert found["KE-1"] == ["KE-2"] and found["KE-2"] == ["KE-1"]
    assert "KE-3" not in found
    assert found["KE-4"] == ["KE-5"] and "KE-6" not in found


def test_charts_are_self_contained_svg() -> None:
    svg = bar_chart("Meldinger per måned", [("2026-01", 2), ("2026-02", 0)]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg and "http://kozea" not in svg and "href=" not in svg
    assert "Meldinger per måned" in svg and "2026-01" in svg
