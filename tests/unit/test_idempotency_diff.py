from gongji.services.idempotency import differing_fields


def test_names_the_fields_that_differ() -> None:
    old = {"amount": 100, "memo": "a", "to": {"id": "x", "kind": "P"}, "lines": [1, 2]}
    new = {"amount": 101, "memo": "a", "to": {"id": "y", "kind": "P"}, "lines": [1, 3]}
    assert differing_fields(old, new) == ["amount", "lines[1]", "to.id"]


def test_added_removed_and_length_changes() -> None:
    assert differing_fields({"a": 1}, {"a": 1, "b": 2}) == ["b"]
    assert differing_fields({"a": [1]}, {"a": [1, 2]}) == ["a"]
    assert differing_fields({"a": 1}, {"a": 1}) == []
