"""Minimal Django settings for the compatibility scenario: one app, one database, the
connection taken from the libpq environment the compat runner sets (PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE)."""

import os

SECRET_KEY = "compat-only-not-secret"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["compatapp"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",  # uses psycopg 3
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "USER": os.environ.get("PGUSER", "compat"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "NAME": os.environ.get("PGDATABASE", "compat_django"),
        "OPTIONS": {"application_name": "compat-django"},
    }
}
