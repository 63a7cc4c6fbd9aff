"""Setting aside the failing parts of a referral."""

from __future__ import annotations

from intake.pruning import prune, related


def test_prune_removes_keys_and_list_items_from_a_copy() -> None:
    data = {"a": {"b": 1, "c": 2}, "items": ["x", "y", "z"], "keep": True}
    out = prune(data, [("a", "b"), ("items", 0), ("items", 2), ("missing", "deep")])
    assert out == {"a": {"c": 2}, "items": ["y"], "keep": True}
    assert data["items"] == ["x", "y", "z"]  # the original is untouched


def test_prune_the_root_gives_up() -> None:
    assert prune({"a": 1}, [()]) is None


def test_related_field_ids() -> None:
    assert related("person.address", "person.address.postcode")
    assert related("guardians[1].phone", "guardians")
    assert related("kommune", "kommune")
    assert not related("person.address", "person.address_extra")
    assert not related("guardians", "guardian")
