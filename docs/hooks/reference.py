"""MkDocs hook: the settings reference and the system checks page, checked against the code.

`docs/settings.md` holds one table of `| key | meaning |` after a `<!-- settings-reference -->` line;
this hook fills in each key's type (from the system checks' `EXPECTED_TYPES`) and default (from the
`ApiClientOptions` dataclass), and fails the build when the table and the code name different
settings. `docs/checks.md` must name every check id the package can report. A new setting or check
therefore cannot ship undocumented, and a documented default cannot drift from the code.

Also importable by the tests (`tests/test_docs.py`), which run the same comparisons in `make test`.
"""

from __future__ import annotations

import dataclasses
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETTINGS_MARKER = "<!-- settings-reference -->"
_ROW = re.compile(r"^\|\s*`([A-Z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*$")
_CHECK_ID = re.compile(r'id=_P \+ "([EW]\d{3})"')


class ReferenceError(Exception):
    """The documentation and the code disagree."""


def _type_name(types: tuple, callable_ok: bool) -> str:
    names = {"str": "string", "list": "list", "tuple": "list", "bool": "bool", "Real": "number"}
    shown: list[str] = []
    for kind in types:
        name = names.get(kind.__name__, kind.__name__)
        if name not in shown:
            shown.append(name)
    if callable_ok:
        shown.append("callable")
    return " or ".join(shown)


def _default(value) -> str:
    if value is dataclasses.MISSING:
        return "—"
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{item}"' for item in value) + "]`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value!r}`"


def settings_rows() -> dict[str, tuple[str, str]]:
    """{SETTING: (type, default)} from the code."""
    from django_auth0_api import checks
    from django_auth0_api.options import SETTING_NAMES, SETTING_TO_OPTION, ApiClientOptions

    defaults = {field.name: field.default if field.default_factory is dataclasses.MISSING else field.default_factory()
                for field in dataclasses.fields(ApiClientOptions)}
    rows = {}
    for name in sorted(SETTING_NAMES):
        option = SETTING_TO_OPTION.get(name, name.lower())
        types = checks.EXPECTED_TYPES.get(name)
        if types is None:
            raise ReferenceError(f"setting {name} has no expected type in django_auth0_api/checks.py")
        rows[name] = (_type_name(types, name in checks._CALLABLE_OK), _default(defaults[option]))
    return rows


def documented_settings(markdown: str) -> dict[str, str]:
    """{SETTING: meaning} of the table after the marker."""
    _, marker, rest = markdown.partition(SETTINGS_MARKER)
    if not marker:
        raise ReferenceError(f"docs/settings.md has no {SETTINGS_MARKER} line")
    meanings = {}
    for line in rest.strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        found = _ROW.match(line)
        if found is None:
            raise ReferenceError(f"docs/settings.md: a row that is not `| \\`KEY\\` | meaning |`: {line}")
        meanings[found.group(1)] = found.group(2)
    return meanings


def settings_table(markdown: str) -> str:
    """The page with its table grown by the type and default columns; raises on drift."""
    rows, meanings = settings_rows(), documented_settings(markdown)
    undocumented = sorted(set(rows) - set(meanings))
    unknown = sorted(set(meanings) - set(rows))
    if undocumented or unknown:
        raise ReferenceError(f"docs/settings.md and the code disagree: undocumented {undocumented}, "
                             f"not settings {unknown}")
    head, marker, rest = markdown.partition(SETTINGS_MARKER)
    lines = rest.strip().splitlines()
    table_length = 2 + len(meanings)
    table = ["| key | type | default | meaning |", "|---|---|---|---|"]
    table += [f"| `{key}` | {rows[key][0]} | {rows[key][1]} | {meanings[key]} |" for key in meanings]
    return head + marker + "\n\n" + "\n".join(table + lines[table_length:]) + "\n"


def check_ids() -> list[str]:
    """Every check id that django_auth0_api's code can report."""
    found = set()
    package = os.path.join(ROOT, "django_auth0_api")
    for directory, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    found.update(_CHECK_ID.findall(handle.read()))
    return sorted(found)


def undocumented_checks(markdown: str) -> list[str]:
    return [check for check in check_ids() if f"django_auth0_api.{check}" not in markdown]


# -- MkDocs -----------------------------------------------------------------------------------------
def on_page_markdown(markdown, page, config, files, **kwargs):
    from mkdocs.exceptions import PluginError

    try:
        if page.file.src_uri == "settings.md":
            return settings_table(markdown)
        if page.file.src_uri == "checks.md":
            missing = undocumented_checks(markdown)
            if missing:
                raise ReferenceError(f"docs/checks.md does not document {', '.join(missing)}")
    except ReferenceError as exc:
        raise PluginError(str(exc)) from None
    return markdown
