"""The "plans" kind of import_csv: user, month, revenue_target, new_customer_target,
visit_target."""
