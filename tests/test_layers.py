"""The package's shape (docs/architecture.md): no import cycle, and each layer imports only below it.

Every import counts, the ones inside functions too (a lazy import is still a dependency);
only `if TYPE_CHECKING:` blocks are left out.
"""

import ast
import importlib
import pathlib

import pytest

import django_auth0_api

PACKAGE = pathlib.Path(django_auth0_api.__file__).parent
NAME = "django_auth0_api"


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: pathlib.Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                found.add(target)
                # `from . import jws` names a module, not an attribute
                found.update(f"{target}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {imp for imp in _imports(path) if imp in MODULES and imp != name} for name, path in MODULES.items()}


def _cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if nxt.endswith("__init__"):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state:
            found = walk(name)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle():
    # Package __init__ modules are left out of the walk: importing `a.b` runs
    # `a/__init__.py` first, which is no dependency of `a.b` on anything it re-exports.
    assert _cycle() is None


FACES = {"authentication", "middleware", "decorators", "permissions", "drf", "request_auth", "users",
         "checks", "spectacular", "ninja", "adrf", "urls", "resource_metadata", "views"}


@pytest.mark.parametrize("layer", ["core", "exchange"])
def test_the_lower_layers_import_no_face_and_no_drf(layer):
    offending = sorted(
        f"{name} -> {imp}"
        for name, path in MODULES.items() if name.startswith(f"{NAME}.{layer}")
        for imp in _imports(path)
        if imp.startswith("rest_framework") or imp.split(".")[1:2] and imp.split(".")[0] == NAME
        and imp.split(".")[1] in FACES
    )
    assert offending == []


def test_core_imports_nothing_from_exchange_or_testing():
    offending = sorted(
        f"{name} -> {imp}"
        for name, path in MODULES.items() if name.startswith(f"{NAME}.core")
        for imp in _imports(path) if imp.startswith((f"{NAME}.exchange", f"{NAME}.testing"))
    )
    assert offending == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.endswith(("ninja", "adrf", "prometheus"))))
def test_every_module_imports(name):
    importlib.import_module(name)
