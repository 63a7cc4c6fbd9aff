"""Municipality lookup: numbers, names in any case, Sami/Norwegian double names, ambiguity."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.errors import AmbiguousKommune, FieldError, KommuneNearMiss
from intake.kommuner import (
    SAMI_AREA,
    _index,
    in_sami_area,
    kommune_name,
    kommuner,
    suggestions,
    validate_kommune,
)


def test_the_official_list_has_every_2024_municipality() -> None:
    table = kommuner()
    assert len(table) == 357
    assert all(len(number) == 4 and number.isdigit() for number in table)
    assert table["0301"] == "Oslo"
    assert SAMI_AREA.issubset(table)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0301", "0301"),
        ("301", "0301"),  # Oslo without its leading zero
        (" 4601 ", "4601"),
        ("４６０１", "4601"),
        ("Oslo", "0301"),
        ("OSLO", "0301"),
        ("oslo", "0301"),
        ("  bergen ", "4601"),
        ("Bergen kommune", "4601"),
        ("Aurskog-Høland", "3226"),
        ("aurskog høland", "3226"),
        ("Ås", "3218"),
        ("Bærum", "3201"),
        ("Baerum", "3201"),  # keyboard without æ
        ("Tromso", "5501"),  # nor ø
        # Sami / Norwegian / Kven: each part, any case, with or without diacritics.
        ("Kåfjord", "5540"),
        ("KÅFJORD", "5540"),
        ("Gáivuotna", "5540"),
        ("gaivuotna", "5540"),
        ("Kaivuono", "5540"),
        ("Gáivuotna - Kåfjord - Kaivuono", "5540"),
        ("gáivuotna-kåfjord-kaivuono", "5540"),
        ("Karasjok", "5610"),
        ("Kárášjohka", "5610"),
        ("karasjohka", "5610"),
        ("Kárášjohka - Karasjok", "5610"),
        ("Guovdageaidnu", "5612"),
        ("Kautokeino", "5612"),
        ("Porsángu", "5622"),
        ("Porsanki", "5622"),
        ("Deatnu", "5628"),
        ("Tana", "5628"),
        ("Unjárga", "5636"),
        ("Snåase", "5041"),
        ("Snåsa", "5041"),
        ("Trondheim", "5001"),
        ("Tråante", "5001"),
        ("Hábmer", "1875"),
        ("Hamarøy", "1875"),
        # The county qualifier settles the names two municipalities share.
        ("Herøy (Nordland)", "1818"),
        ("Herøy Nordland", "1818"),
        ("herøy (møre og romsdal)", "1515"),
        ("Våler (Østfold)", "3114"),
        ("Våler (Innlandet)", "3419"),
    ],
)
def test_kommune_accepted(typed: str, number: str) -> None:
    assert validate_kommune(typed) == number


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [
        ("Herøy", {"1515", "1818"}),
        ("herøy", {"1515", "1818"}),
        ("Heroy", {"1515", "1818"}),
        ("Våler", {"3114", "3419"}),
        ("VALER", {"3114", "3419"}),
    ],
)
def test_shared_names_are_ambiguous_and_list_the_candidates(typed: str, numbers: set[str]) -> None:
    with pytest.raises(AmbiguousKommune) as info:
        validate_kommune(typed)
    assert {number for number, _ in info.value.candidates} == numbers
    assert info.value.key == "kommune_ambiguous"
    for number in numbers:
        assert kommune_name(number) in info.value.params["names"]


@pytest.mark.parametrize(
    "typed", ["", "   ", "Atlantis", "9999", "0000", "03011", "Oslo Bergen", "12a4"]
)
def test_unknown_kommune(typed: str) -> None:
    with pytest.raises(FieldError) as info:
        validate_kommune(typed)
    assert info.value.key == "kommune_unknown"


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("Bergn", ["Bergen"]),
        ("bergn kommune", ["Bergen"]),
        ("Trondhiem", ["Trondheim - Tråante"]),
        ("Olso", ["Oslo"]),
        ("Lilehammer", ["Lillehammer"]),
        ("Kåfjordd", ["Gáivuotna - Kåfjord - Kaivuono"]),
        ("Kristiansan", ["Kristiansand", "Kristiansund"]),
    ],
)
def test_a_typo_gets_suggestions_to_confirm_never_a_silent_guess(
    typed: str, names: list[str]
) -> None:
    with pytest.raises(KommuneNearMiss) as info:
        validate_kommune(typed)
    assert info.value.key == "kommune_near"
    assert [name for _, name in info.value.candidates][: len(names)] == names  # closest first
    assert suggestions(typed) == tuple(number for number, _ in info.value.candidates)


def test_every_official_name_and_each_part_finds_its_municipality() -> None:
    shared = {"1515", "1818", "3114", "3419"}
    for number, name in kommuner().items():
        assert validate_kommune(name) == number
        if number in shared:
            continue
        for part in name.split(" - "):
            assert validate_kommune(part.upper()) == number


def test_sami_language_area() -> None:
    assert in_sami_area("5610")
    assert in_sami_area("1826")
    assert not in_sami_area("0301")
    assert len(SAMI_AREA) == 13


def test_the_prefiltered_names_give_difflibs_own_suggestions() -> None:
    # `_candidates` only skips names beyond difflib's own bounds: for typing slips of every
    # name (a letter dropped or replaced) the answer is what difflib gives
    # over every name.
    from intake.kommuner import _NEAR, _candidates, _index

    names = list(_index(True))
    for i, name in enumerate(names):
        at = i % max(len(name) - 1, 1)
        for typed in (
            name[:at] + name[at + 1 :],
            name[:at] + "xq"[i % 2] + name[at + 1 :],
        ):
            expected = difflib.get_close_matches(typed, names, n=3, cutoff=_NEAR)
            assert difflib.get_close_matches(typed, _candidates(typed), n=3, cutoff=_NEAR) == (
                expected
            ), typed


def _slipped(name: str, at: int, letters: str) -> str:
    """`name` with `letters` in place of one of its letters (none: that letter dropped)."""
    at %= len(name)
    return name[:at] + letters + name[at + 1 :]


_LETTERS = "abcdefghijklmnopqrstuvwxyzæøå -"
_TYPED = st.one_of(
    st.text(_LETTERS, min_size=3, max_size=16),
    st.builds(
        _slipped,
        st.sampled_from(sorted(_index(True))),
        st.integers(0, 30),
        st.text(_LETTERS, max_size=3),
    ),
)


@settings(max_examples=600, deadline=None)
@given(_TYPED)
def test_the_prefilter_keeps_exactly_the_names_within_difflibs_bounds(typed: str) -> None:
    """`_candidates` (by length, in whole numbers) is difflib's own two upper bounds, as
    `get_close_matches` applies them, over every name."""
    from intake.kommuner import _NEAR, _candidates

    def within(name: str) -> bool:
        matcher = difflib.SequenceMatcher(None, name, typed)
        return matcher.real_quick_ratio() >= _NEAR and matcher.quick_ratio() >= _NEAR

    assert sorted(_candidates(typed)) == sorted(n for n in _index(True) if within(n))
