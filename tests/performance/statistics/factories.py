"""Custom statistics for the tests."""

from __future__ import annotations

import factory

from performance.models import CustomStatistic


class CustomStatisticFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomStatistic
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Statistic {n}")
    module = CustomStatistic.Module.ORDERS
    measure = CustomStatistic.Measure.SUM
    measure_field = "total"
    grouping = CustomStatistic.Grouping.OWNER
    conditions = factory.LazyFunction(list)

    @factory.post_generation
    def positions(self, create, kinds, **kwargs):
        from crm.models import Position

        if create and kinds:
            self.shared_positions.set(Position.objects.filter(kind__in=kinds))

    @factory.post_generation
    def users(self, create, users, **kwargs):
        if create and users:
            self.shared_users.set(users)
