"""What every fault test counts: lost referrals (a person without a receipt, or a receipt whose
reference is not in the inbox), duplicated ones (inbox rows beyond one per reference, rows
nobody got a receipt for, a person given more than one reference) and the rows that open with
the KE's key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def tally(
    receipts: Sequence[Iterable[str]], inbox: Sequence[tuple[str, str, bool]]
) -> dict[str, int]:
    """`receipts`: the references each person was given; `inbox`: (reference, channel, opens)."""
    given_each = [set(rs) for rs in receipts]
    stored = [reference for reference, _, _ in inbox]
    given = {r for rs in given_each for r in rs}
    lost = sum(1 for rs in given_each if not rs) + len(given - set(stored))
    duplicated = (len(stored) - len(set(stored))) + len(set(stored) - given)
    duplicated += sum(len(rs) - 1 for rs in given_each if rs)
    return {"lost": lost, "duplicated": duplicated, "opened": sum(ok for _, _, ok in inbox)}


def turns(sent: int, answered: int, named: int, owed: int = 0) -> dict[str, int]:
    """Messages a person sent against what they got for them: `answered` replies (one per
    message applied), `named` (the messages one `tg.send_again` reply asks for again) and
    `owed` (answers "where the conversation is" for a message applied at a stop: the bot cannot
    know whether its first reply reached Telegram, so it answers at least once; such an answer
    covers a message, it never counts as a second answer to one).
    Unanswered: messages with none of these; duplicated: replies beyond one per message."""
    return {
        "unanswered": max(0, sent - answered - named - owed),
        "duplicated": max(0, answered + named - sent),
    }
