"""Factories of the leads app's tests."""

from __future__ import annotations

import factory

from leads.models import AssignmentRule, Lead, RuleMember


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Sequence(lambda n: f"Lead {n}")
    company = factory.Sequence(lambda n: f"公司 {n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    source = Lead.Source.WEBSITE
    owner = None


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssignmentRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    priority = factory.Sequence(lambda n: 10 * (n + 1))
    method = AssignmentRule.Method.ROUND_ROBIN
    sla_hours = 24


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleMember

    rule = factory.SubFactory(RuleFactory)
    weight = 1
    capacity = 0


def rule_with(users, **kwargs) -> AssignmentRule:
    """A rule whose members are `users` (capacity/weight as keyword lists or single values)."""
    capacity = kwargs.pop("capacity", 0)
    weight = kwargs.pop("weight", 1)
    rule = RuleFactory(**kwargs)
    for i, user in enumerate(users):
        MemberFactory(
            rule=rule,
            user=user,
            capacity=capacity[i] if isinstance(capacity, list | tuple) else capacity,
            weight=weight[i] if isinstance(weight, list | tuple) else weight,
        )
    return rule
