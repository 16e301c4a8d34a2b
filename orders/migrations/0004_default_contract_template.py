"""The default contract template (bilingual), editable by admins afterwards."""

from django.db import migrations

NAME = "标准销售合同 Standard sales contract"

SOURCE = """{% extends "pdf/base.html" %}
{% load money %}
{% block title %}{{ contract.number }} {{ contract.title }}{% endblock %}
{% block content %}
<h1>销售合同 Sales Contract</h1>
<table class="header">
  <tr><td>合同编号 Contract No.</td><td>{{ contract.number }}</td>
      <td>签订日期 Date signed</td><td>{{ contract.signed_on|date:"Y-m-d"|default:"____-__-__" }}</td></tr>
  <tr><td>合同名称 Title</td><td colspan="3">{{ contract.title }}</td></tr>
</table>

<h2>合同双方 Parties</h2>
<table class="header">
  <tr><td>买方（甲方）Buyer (Party A)</td><td>{{ customer.name }}</td></tr>
  <tr><td>地址 Address</td><td>{{ customer.address|default:"—" }}</td></tr>
  <tr><td>电话 Phone</td><td>{{ customer.phone|default:"—" }}</td></tr>
  <tr><td>卖方（乙方）Seller (Party B)</td><td>{{ company_name|default:"本公司 Our company" }}</td></tr>
  <tr><td>乙方代表 Representative</td><td>{{ owner.get_full_name|default:owner.username }}</td></tr>
</table>

{% if lines %}
<h2>产品明细 Products</h2>
<table>
  <tr><th>产品 Product</th><th class="num">数量 Qty</th><th>单位 Unit</th>
      <th class="num">单价 Unit price</th><th class="num">金额 Amount</th></tr>
  {% for line in lines %}
  <tr><td>{{ line.product.sku }} {{ line.product.name }}</td><td class="num">{{ line.quantity|floatformat:"-3" }}</td>
      <td>{{ line.product.unit }}</td><td class="num">{{ line.unit_price|money }}</td><td class="num">{{ line.amount|money }}</td></tr>
  {% endfor %}
</table>
{% endif %}

<h2>合同金额 Contract amount</h2>
<p>合同总金额（含税）Total amount (tax included): <b>{{ contract.amount|money }}</b></p>
{% if contract.start_on or contract.end_on %}
<p>合同期限 Term: {{ contract.start_on|date:"Y-m-d"|default:"—" }} 至 to {{ contract.end_on|date:"Y-m-d"|default:"—" }}</p>
{% endif %}

<h2>条款 Terms</h2>
{% if contract.terms %}<p>{{ contract.terms|linebreaksbr }}</p>{% else %}
<p>一、乙方按本合同约定的产品、数量与价格向甲方供货。Party B supplies the products, quantities and prices set out above.</p>
<p>二、甲方按约定的付款计划向乙方支付货款。Party A pays according to the agreed payment schedule.</p>
<p>三、本合同一式两份，双方各执一份，自双方签字盖章之日起生效。This contract is made in two copies, one for each party, and takes effect when signed and sealed by both parties.</p>
{% endif %}

<table class="header">
  <tr><td>甲方（盖章）Party A (seal)<br><br><br>签字 Signature: __________</td>
      <td>乙方（盖章）Party B (seal)<br><br><br>签字 Signature: __________</td></tr>
</table>
{% endblock %}
{% block footer %}{{ contract.number }}{% endblock %}
"""


def create(apps, schema_editor):
    ContractTemplate = apps.get_model("orders", "ContractTemplate")
    if not ContractTemplate.objects.filter(is_default=True).exists():
        ContractTemplate.objects.get_or_create(
            name=NAME, defaults={"source": SOURCE, "is_default": True}
        )


def remove(apps, schema_editor):
    apps.get_model("orders", "ContractTemplate").objects.filter(name=NAME, source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_opportunity_links")]

    operations = [migrations.RunPython(create, remove)]
