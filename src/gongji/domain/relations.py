"""Close relatives (近亲属) under the Civil Code, who may share a personal account.

Art. 1045: spouse, parents, children, siblings, paternal and maternal grandparents, paternal
and maternal grandchildren. In-laws are not close relatives. A relation is always read from
the sponsor's side: "the beneficiary is the sponsor's <relation>".
"""

from __future__ import annotations

from enum import StrEnum

from gongji.domain.errors import Bi, GongjiError


class Relation(StrEnum):
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    """祖父母: the father's parents."""
    MATERNAL_GRANDPARENT = "maternal_grandparent"
    """外祖父母: the mother's parents."""
    GRANDCHILD = "grandchild"
    """孙子女: a son's children."""
    MATERNAL_GRANDCHILD = "maternal_grandchild"
    """外孙子女: a daughter's children."""


NAMES: dict[str, Bi] = {
    Relation.SPOUSE: Bi("配偶", "spouse"),
    Relation.PARENT: Bi("父母", "parent"),
    Relation.CHILD: Bi("子女", "child"),
    Relation.SIBLING: Bi("兄弟姐妹", "sibling"),
    Relation.GRANDPARENT: Bi("祖父母", "paternal grandparent"),
    Relation.MATERNAL_GRANDPARENT: Bi("外祖父母", "maternal grandparent"),
    Relation.GRANDCHILD: Bi("孙子女", "paternal grandchild"),
    Relation.MATERNAL_GRANDCHILD: Bi("外孙子女", "maternal grandchild"),
}

INVERSE = {
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.PARENT: Relation.CHILD,
    Relation.CHILD: Relation.PARENT,
    Relation.SIBLING: Relation.SIBLING,
    Relation.GRANDPARENT: Relation.GRANDCHILD,
    Relation.GRANDCHILD: Relation.GRANDPARENT,
    Relation.MATERNAL_GRANDPARENT: Relation.MATERNAL_GRANDCHILD,
    Relation.MATERNAL_GRANDCHILD: Relation.MATERNAL_GRANDPARENT,
}

IN_LAWS: dict[str, Bi] = {
    "parent_in_law": Bi("公婆/岳父母", "parent-in-law"),
    "child_in_law": Bi("儿媳/女婿", "child-in-law"),
    "sibling_in_law": Bi("兄弟姐妹的配偶/配偶的兄弟姐妹", "sibling-in-law"),
}
"""Relations people ask for that the Civil Code does not count as close: refused by name."""


def parse_relation(value: str, allowed: frozenset[str] | set[str]) -> Relation:
    """The relation, if it is a close relative and this region's policy allows it."""
    if value in IN_LAWS:
        raise GongjiError("RELATION_NOT_CLOSE", relation=IN_LAWS[value])
    try:
        rel = Relation(value)
    except ValueError:
        raise GongjiError("RELATION_NOT_CLOSE", relation=Bi(value, value)) from None
    if rel.value not in allowed:
        raise GongjiError("RELATION_NOT_ALLOWED", relation=NAMES[rel],
                          allowed=", ".join(sorted(allowed)))
    return rel


def inverse(rel: Relation) -> Relation:
    """The same tie read from the other side (my parent -> I am their child)."""
    return INVERSE[rel]
