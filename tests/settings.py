"""Test settings: the product's settings (from the environment, so CI's PostgreSQL and Redis
apply) plus a model used only to test the data-scope layer, and a fast password hasher."""

from crm.settings import *

INSTALLED_APPS = [*INSTALLED_APPS, "tests.scopeapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client speaks plain HTTP; production keeps these on.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
