"""Seed the default pipelines, their stages and the lost reasons (English and Chinese names).

Created only when no pipeline exists yet, so a company that set up its own keeps it; the reverse
removes only the seeded rows that nothing refers to.
"""

from django.db import migrations

# (English, Chinese, probability %, kind)
TOB = [
    ("Initial contact", "初步接洽", 10, "open"),
    ("Needs analysis", "需求分析", 20, "open"),
    ("Visit", "拜访", 30, "open"),
    ("Proposal", "方案报价", 50, "open"),
    ("Negotiation", "商务谈判", 70, "open"),
    ("Contract", "合同签订", 90, "open"),
    ("Won", "赢单", 100, "won"),
    ("Lost", "输单", 0, "lost"),
]
TOC = [
    ("Initial contact", "初步接洽", 10, "open"),
    ("Needs analysis", "需求分析", 30, "open"),
    ("Proposal", "方案报价", 60, "open"),
    ("Won", "赢单", 100, "won"),
    ("Lost", "输单", 0, "lost"),
]
PIPELINES = [
    ("ToB project sale", "ToB 项目销售", True, TOB),
    ("ToC retail", "ToC 零售", False, TOC),
]
LOST_REASONS = [
    ("Price too high", "价格过高"),
    ("Chose a competitor", "选择了竞争对手"),
    ("No budget", "没有预算"),
    ("Project cancelled", "项目取消"),
    ("No response", "客户无回应"),
    ("Requirements not met", "需求无法满足"),
    ("Other", "其他"),
]


def seed(apps, schema_editor):
    Pipeline = apps.get_model("opportunities", "Pipeline")
    Stage = apps.get_model("opportunities", "Stage")
    LostReason = apps.get_model("opportunities", "LostReason")
    if not Pipeline.objects.exists():
        for order, (name, name_zh, is_default, stages) in enumerate(PIPELINES):
            pipeline = Pipeline.objects.create(
                name=name, name_zh=name_zh, is_default=is_default, order=order
            )
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    name=s_name,
                    name_zh=s_zh,
                    probability=probability,
                    kind=kind,
                    order=i,
                )
                for i, (s_name, s_zh, probability, kind) in enumerate(stages)
            )
    if not LostReason.objects.exists():
        LostReason.objects.bulk_create(
            LostReason(name=name, name_zh=name_zh, order=i)
            for i, (name, name_zh) in enumerate(LOST_REASONS)
        )


def unseed(apps, schema_editor):
    Pipeline = apps.get_model("opportunities", "Pipeline")
    LostReason = apps.get_model("opportunities", "LostReason")
    Opportunity = apps.get_model("opportunities", "Opportunity")
    names = [p[0] for p in PIPELINES]
    used = set(Opportunity.objects.values_list("pipeline_id", flat=True).distinct())
    Pipeline.objects.filter(name__in=names).exclude(pk__in=used).delete()
    LostReason.objects.filter(name__in=[r[0] for r in LOST_REASONS], opportunities=None).delete()


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
