"""A new user's first hour, end to end: the wheel in a fresh virtualenv, `django-admin startproject`,
the project's own AUTH0_API and a Redis cache holding a key of its own, and the README's test examples
run by that project's pytest. Afterwards the key is still there, the library left nothing in Redis, and
the project's policy applied.

Needs the package registry (pip installs the wheel's dependencies, from its cache when it can) and
redis-server; a few minutes on a cold cache.
"""

import os
import re
import subprocess
import sys
import textwrap
import venv

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWN_KEY = "mysite:greeting"

SETTINGS = '''

INSTALLED_APPS += ["rest_framework", "django_auth0_api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_auth0_api.authentication.Auth0Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
AUTH0_API = {  # the project's own tenant and policy
    "DOMAIN": "mysite.eu.auth0.com",
    "AUDIENCE": ["https://orders.example.com", "https://calendar-api.example.com"],
    "LEEWAY": 7,
    "CLIENT_ID": "mysite-client",
    "CLIENT_SECRET": "mysite-secret",
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "{redis}"}}
'''

VIEWS = '''
import requests
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_auth0_api import get_api_client
from django_auth0_api.permissions import TokenHasScope


class Me(APIView):
    def get(self, request):
        return Response({"sub": request.auth.sub, "scheme": request.auth.scheme})


class Messages(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = ["read:messages"]

    def get(self, request):
        return Response({"messages": []})


class Calendar(APIView):
    def get(self, request):
        calendar = "https://calendar-api.example.com"
        result = get_api_client().get_token_on_behalf_of(request.auth.token, audience=calendar)
        events = requests.get(f"{calendar}/events", headers={"Authorization": f"Bearer {result['access_token']}"},
                              timeout=5)
        return Response({"user": request.auth.sub, "data": events.json()})


urlpatterns = [path("api/me", Me.as_view()), path("api/messages", Messages.as_view()),
               path("api/calendar", Calendar.as_view())]
'''

POLICY = '''
from django.conf import settings


def test_the_projects_policy_applies(auth0_tenant, client):
    assert (settings.AUTH0_API["LEEWAY"], settings.AUTH0_API["CLIENT_ID"], auth0_tenant.audience) == (
        7, "mysite-client", "https://orders.example.com")
    foreign = auth0_tenant.mint_token(audience="https://api.example.com")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {foreign}").status_code == 401
'''


def readme_snippet(name: str) -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        return dict(re.findall(r"<!-- snippet: ([\w-]+) -->\n```python\n(.*?)```", handle.read(), re.S))[name]


def run(*args, cwd=None, env=None):
    shown = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-3000:]
    return shown


@pytest.mark.servers
def test_a_fresh_project_runs_the_readmes_test_examples_and_keeps_its_redis_key(tmp_path, redis_port):
    redis = pytest.importorskip("redis")
    run(sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), ROOT)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    run(python, "-m", "pip", "install", "-q", f"{wheel}[testing]", "redis")
    run(str(tmp_path / "venv" / "bin" / "django-admin"), "startproject", "mysite", cwd=tmp_path)
    project = tmp_path / "mysite"
    settings = project / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + SETTINGS.replace("{redis}", f"redis://127.0.0.1:{redis_port}/3"))
    (project / "mysite" / "urls.py").write_text(textwrap.dedent(VIEWS))
    (project / "test_readme_examples.py").write_text(readme_snippet("testing-tests"))
    (project / "test_policy.py").write_text(POLICY)
    store = redis.Redis(port=redis_port, db=3)
    store.flushdb()
    store.set(OWN_KEY, "hello")

    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    shown = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ds", "mysite.settings"],
                           cwd=project, env=env, capture_output=True, text=True, timeout=300)

    assert (shown.returncode, shown.stdout.splitlines()[-1].split(" in ")[0]) == (0, "4 passed"), shown.stdout
    assert (store.get(OWN_KEY), [k for k in store.keys("*") if b"auth0_api" in k]) == (b"hello", [])
