"""Which status changes make sense for a referral (REFERRAL.md: received -> in_review ->
coordinator_appointed -> closed with an outcome).

The inbox itself only checks that a status and outcome are known; the order of the work is a
KE rule, so it lives here with the staff commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.inbox import OUTCOMES, STATUSES

# Cases that wait for the KE's answer: forvaltningsloven § 11a asks for an interim answer when
# one takes more than a month; staff are warned a week ahead.
OPEN_STATUSES = ("received", "in_review")
INTERIM_ANSWER_DAYS = 30
INTERIM_WARNING_DAYS = 23

# A case may skip steps (a referral that is obviously for another municipality is closed as
# `forwarded` straight from `received`), and may go back to review when a coordinator steps
# down. A closed case leaves only by an explicit reopen (with a reason); purge deletes it after
# the retention period.
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"in_review", "coordinator_appointed", "closed"}),
    "in_review": frozenset({"coordinator_appointed", "closed"}),
    "coordinator_appointed": frozenset({"in_review", "closed"}),
    "closed": frozenset(),
}


@dataclass(frozen=True)
class Refusal:
    """Why a change is refused: a key in `bot.staff.texts` and its parameters."""

    key: str
    params: dict[str, str]


def check_transition(
    current: str,
    current_outcome: str | None,
    new: str,
    outcome: str | None,
    *,
    has_coordinator: bool,
    reference: str,
) -> Refusal | None:
    if new not in STATUSES:
        return Refusal("unknown_status", {"status": new, "choices": ", ".join(STATUSES)})
    if new == "closed" and outcome not in OUTCOMES:
        return Refusal("outcome_needed", {"choices": ", ".join(OUTCOMES)})
    if new != "closed" and outcome is not None:
        return Refusal("outcome_only_closing", {})
    if current == "closed":
        return Refusal("closed_final", {"outcome": current_outcome or "-"})
    if new == current:
        return Refusal("same_status", {"status": new})
    if new not in TRANSITIONS.get(current, frozenset()):
        return Refusal("bad_transition", {"old": current, "new": new})
    if new == "coordinator_appointed" and not has_coordinator:
        return Refusal("needs_coordinator", {"reference": reference})
    return None
