"""The documentation agrees with the code: every setting has a row, every check id a line."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "docs", "hooks"))

import reference  # noqa: E402  (the MkDocs hook of docs/hooks/reference.py)


def page(name: str) -> str:
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as handle:
        return handle.read()


def test_every_setting_has_a_row_and_every_row_is_a_setting():
    from django_auth0_api.options import SETTING_NAMES

    assert sorted(reference.documented_settings(page("settings.md"))) == sorted(SETTING_NAMES)


def test_the_generated_table_shows_the_codes_types_and_defaults():
    table = reference.settings_table(page("settings.md"))
    assert "| `CACHE_TTL` | number | `600` | seconds for discovery and JWKS" in table
    assert '| `ALGORITHMS` | string or list | `["RS256"]` |' in table
    assert "| `DECRYPTION_KEYS` | dict | `{}` |" in table
    assert "| `DOMAINS` | list or string or callable | `None` |" in table


def test_a_setting_missing_from_the_page_fails_the_build():
    text = page("settings.md").replace("| `REALM` | `realm` in challenges |\n", "")
    with pytest.raises(reference.ReferenceError, match=r"undocumented \['REALM'\]"):
        reference.settings_table(text)


def test_every_check_id_is_documented():
    assert (reference.undocumented_checks(page("checks.md")), len(reference.check_ids()) >= 11) == ([], True)


def test_every_reason_code_is_documented():
    from django_auth0_api.reasons import REASONS

    text = page("operations.md")
    assert [reason for reason in REASONS if f"| `{reason}` |" not in text] == []
