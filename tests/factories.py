"""factory-boy factories shared by every app's tests."""

from __future__ import annotations

import factory
from django.utils import timezone

from crm.models import Position, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.TEAM


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a position by kind: UserFactory(position="sales_rep", team=team)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    position = Position.Kind.SALES_REP
    password = factory.django.Password("pass-for-tests")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kind = kwargs.get("position")
        if isinstance(kind, str):
            kwargs["position"] = Position.objects.get(kind=kind)
        return super()._create(model_class, *args, **kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    """A company customer; `owner=None` puts it in the public pool."""

    class Meta:
        model = "customers.Customer"

    name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    kind = "company"
    level = "C"
    owner = factory.SubFactory(UserFactory)
    owned_since = factory.LazyFunction(lambda: timezone.now())


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Contact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.Activity"

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda a: a.customer.owner or UserFactory())
    kind = "call"
    outcome = "success"
    occurred_at = factory.LazyFunction(lambda: timezone.now())
    summary = "Talked about the next order."


def client_for(user):
    """A test client logged in as `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
