"""Choosing the member who gets the next lead: pure functions over in-memory state, shared by
the real assignment (under row locks, leads/assignment/engine.py) and the rules page's dry-run.

A `Pool` is one rule's eligible members with their current loads and the rule's round-robin
state; `Pool.pick()` chooses a member and advances the state as if the lead were given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leads.models import AssignmentRule, RuleMember

Method = AssignmentRule.Method


@dataclass
class Pool:
    rule: AssignmentRule
    members: list[RuleMember]  # eligible members (active, may own records), by id
    loads: dict[int, int]  # user id -> open leads now; shared between the pools of one batch
    last_member_id: int | None = None
    weights: dict[str, int] = field(default_factory=dict)  # weighted round-robin state

    @classmethod
    def for_rule(cls, rule: AssignmentRule, members: list[RuleMember], loads: dict[int, int]):
        return cls(
            rule=rule,
            members=sorted(members, key=lambda m: m.pk),
            loads=loads,
            last_member_id=rule.last_member_id,
            weights={str(k): int(v) for k, v in (rule.rr_state or {}).items()},
        )

    def has_room(self, member: RuleMember) -> bool:
        return member.capacity == 0 or self.loads.get(member.user_id, 0) < member.capacity

    def _after_cursor(self, candidates: list[RuleMember]) -> list[RuleMember]:
        """The candidates in round-robin order: those after the last member first."""
        cursor = self.last_member_id or 0
        return [m for m in candidates if m.pk > cursor] + [m for m in candidates if m.pk <= cursor]

    def pick(self, *, exclude_user_ids: frozenset[int] = frozenset()) -> RuleMember | None:
        """The member who gets the next lead (None: nobody has room), with the state advanced."""
        candidates = [
            m for m in self.members if m.user_id not in exclude_user_ids and self.has_room(m)
        ]
        if not candidates:
            return None
        method = self.rule.method
        if method == Method.WEIGHTED:
            chosen = self._pick_weighted(candidates)
        elif method == Method.LEAST_LOADED:
            ordered = self._after_cursor(candidates)
            chosen = min(ordered, key=lambda m: self.loads.get(m.user_id, 0))  # first of ties
        else:
            chosen = self._after_cursor(candidates)[0]
        self.last_member_id = chosen.pk
        self.loads[chosen.user_id] = self.loads.get(chosen.user_id, 0) + 1
        return chosen

    def _pick_weighted(self, candidates: list[RuleMember]) -> RuleMember:
        # Smooth weighted round-robin (as in nginx): every candidate gains its weight, the one
        # with the most is chosen and pays back the total. Over any run of leads each member's
        # share stays within one lead of its weight's share, and picks are interleaved.
        total = 0
        for member in candidates:
            weight = max(member.weight, 1)
            total += weight
            self.weights[str(member.pk)] = self.weights.get(str(member.pk), 0) + weight
        chosen = max(candidates, key=lambda m: (self.weights[str(m.pk)], -m.pk))
        self.weights[str(chosen.pk)] -= total
        # Forget members no longer in the rule so the state does not grow.
        live = {str(m.pk) for m in self.members}
        self.weights = {k: v for k, v in self.weights.items() if k in live}
        return chosen

    def state_changed(self) -> bool:
        return self.last_member_id != self.rule.last_member_id or self.weights != (
            self.rule.rr_state or {}
        )

    def save_state(self) -> None:
        """Write the round-robin state back to the (locked) rule row."""
        if self.state_changed():
            AssignmentRule.objects.filter(pk=self.rule.pk).update(
                last_member_id=self.last_member_id, rr_state=self.weights
            )
            self.rule.last_member_id = self.last_member_id
            self.rule.rr_state = dict(self.weights)

    def snapshot(self, all_members: list[RuleMember], skipped: dict[int, str]) -> dict:
        """The members' loads at this moment, for the AssignmentLog row."""
        return {
            str(m.user_id): {
                "name": str(m.user),
                "open": self.loads.get(m.user_id, 0),
                "capacity": m.capacity,
                "weight": m.weight,
                **({"skipped": skipped[m.pk]} if m.pk in skipped else {}),
            }
            for m in all_members
        }
