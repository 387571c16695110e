"""Settings for serving the local tenant (`testproject.tenant`) on loopback."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "local-tenant-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "testproject.tenant.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
