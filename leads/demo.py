"""Demo leads for `seed_demo`: three assignment rules over the demo reps and ~40 leads in every
state (assigned by the rules, contacted, qualified, converted, disqualified, waiting in the
default queue). Created once (emails @demo-lead.example.cn); later runs skip."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from crm.models import User
from leads import assignment, services
from leads.models import AssignmentRule, Lead, RuleMember

DOMAIN = "demo-lead.example.cn"
PEOPLE = [
    "王磊", "李娜", "张强", "刘芳", "陈晨", "杨洋", "赵丽", "黄勇", "周敏", "吴刚",
    "徐静", "孙涛", "马超", "朱琳", "胡军", "郭颖", "何伟", "高峰", "林雪", "罗斌",
]  # fmt: skip
COMPANIES = [
    ("上海浦江精密制造有限公司", "上海", "manufacturing"),
    ("杭州西湖数据科技有限公司", "浙江", "it"),
    ("南京紫金物流股份有限公司", "江苏", "logistics"),
    ("北京中关村智能科技有限公司", "北京", "it"),
    ("天津渤海化工有限公司", "天津", "energy"),
    ("广州珠江医疗器械有限公司", "广东", "healthcare"),
    ("深圳前海金融服务有限公司", "广东", "finance"),
    ("成都锦城教育科技有限公司", "四川", "education"),
    ("Lakeside Trading Co.", "上海", "retail"),
    ("Summit Engineering Ltd", "北京", "construction"),
    ("乌鲁木齐天山贸易有限公司", "新疆", "retail"),
    ("苏州工业园区电子有限公司", "江苏", "manufacturing"),
]
SOURCES = ["website", "website", "advertising", "exhibition", "referral", "social", "partner"]
NOTES = [
    "官网留言：想了解产品报价。",
    "展会上交换了名片，对自动化方案感兴趣。",
    "Asked for a demo next week.",
    "朋友推荐，预算约 20 万。",
    "",
]


def seed(*, reps: list[User], admin: User, stdout) -> int:
    if Lead.objects.filter(email__endswith=f"@{DOMAIN}").exists() or not reps:
        return 0
    rng = random.Random(404)
    third = max(1, len(reps) // 3)
    east, north, rest = reps[:third], reps[third : 2 * third], reps[2 * third :] or reps
    rules = [
        ("华东官网与广告", 10, AssignmentRule.Method.ROUND_ROBIN, 4,
         ["website", "advertising"], ["上海", "浙江", "江苏"], east),
        ("华北区域", 20, AssignmentRule.Method.LEAST_LOADED, 8, [], ["北京", "天津"], north),
        ("其他地区（加权）", 30, AssignmentRule.Method.WEIGHTED, 24, [],
         ["广东", "四川", "上海", "浙江", "江苏"], rest),
    ]  # fmt: skip
    for name, priority, method, sla, sources, regions, members in rules:
        rule, created = AssignmentRule.objects.get_or_create(
            name=name,
            defaults={
                "priority": priority,
                "method": method,
                "sla_hours": sla,
                "sources": sources,
                "regions": regions,
            },
        )
        if created:
            for i, user in enumerate(members):
                RuleMember.objects.create(
                    rule=rule, user=user, weight=1 + (i % 3), capacity=30 if i % 2 else 0
                )

    now = timezone.now()
    leads = []
    for i in range(40):
        company, region, industry = COMPANIES[i % len(COMPANIES)]
        name = PEOPLE[i % len(PEOPLE)]
        leads.append(
            services.lead_create(
                by=admin,
                name=name,
                company=company if i % 5 else "",
                phone=f"139{rng.randrange(10**7, 10**8)}",
                email=f"lead{i}@{DOMAIN}",
                source=SOURCES[i % len(SOURCES)],
                region=region,
                industry=industry,
                notes=NOTES[i % len(NOTES)],
                created_at=now - dt.timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 20)),
            )
        )
    # Assign right here (no worker needed for the demo); 新疆 matches no rule: default queue.
    assignment.assign_waiting(lead_ids=[lead.pk for lead in leads], limit=len(leads))
    # As if each had been placed a few minutes after it came in (the demo creates them now).
    for lead in Lead.objects.filter(
        email__endswith=f"@{DOMAIN}", owner__isnull=False
    ).select_related("rule"):
        at = lead.created_at + dt.timedelta(minutes=rng.randint(1, 9))
        due = at + dt.timedelta(hours=lead.rule.sla_hours) if lead.rule else None
        Lead.objects.filter(pk=lead.pk).update(assigned_at=at, sla_due_at=due)
        lead.assignment_logs.update(created_at=at)
    for i, lead in enumerate(Lead.objects.filter(email__endswith=f"@{DOMAIN}").order_by("pk")):
        if lead.owner_id is None or i % 4 == 0:
            continue  # some stay new, waiting for their first contact
        services.lead_activity_log(
            lead=lead,
            by=lead.owner,
            kind=rng.choice(["call", "wechat", "email"]),
            outcome="success",
            summary=rng.choice(
                ["电话沟通了需求，约定发送资料。", "Sent the brochure.", "微信已加好友。"]
            ),
            occurred_at=min(now, lead.assigned_at + dt.timedelta(minutes=rng.randint(20, 1800))),
        )
        if i % 7 == 1:
            services.lead_set_status(lead=lead, by=lead.owner, status=Lead.Status.QUALIFIED)
        elif i % 7 == 3:
            services.lead_disqualify(lead=lead, by=lead.owner, reason="no_budget", note="明年再谈")
        elif i % 9 == 2:
            services.lead_convert(lead=lead, by=lead.owner)
    stdout.write(f"Demo leads: {len(leads)} leads, {len(rules)} assignment rules.")
    return len(leads)
