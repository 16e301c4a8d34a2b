"""Celery tasks of the review chain (queue reports)."""
