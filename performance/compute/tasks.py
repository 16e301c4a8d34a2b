"""Celery tasks of the computation (queue reports)."""
