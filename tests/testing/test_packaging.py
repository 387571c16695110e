"""The `testing` extra: what a project needs for `auth0_tenant`, and nothing of this package's own suite."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_testing_extra_holds_the_test_kits_dependencies_only():
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    assert extras["testing"] == ["pytest>=8", "pytest-django>=4.9", "responses>=0.25"]
