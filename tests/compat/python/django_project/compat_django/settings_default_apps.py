"""The compat settings plus the apps nearly every Django project has (contenttypes and
auth): their migrations add unique and foreign-key constraints, indexes and column type
changes, and their post_migrate handlers insert and join content types and permissions."""

from .settings import *  # noqa: F401,F403

INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "compatapp"]
