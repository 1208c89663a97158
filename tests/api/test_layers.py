"""The project API imports the apps' routers, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import klachtbeheer

PACKAGE = Path(klachtbeheer.__file__).parent
BELOW_THE_API = ["intake/api.py", "complaints/api.py", "core/api.py", "core/form_schema.py"]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", BELOW_THE_API)
def test_routers_and_what_they_share_never_import_the_project_api(module):
    imported = _imports(PACKAGE / module)
    assert not {name for name in imported if name.split(".")[:2] == ["klachtbeheer", "api"]}


def test_core_api_needs_only_core_django_ninja_and_pydantic():
    for module in ("core/api.py", "core/form_schema.py"):
        ours = {name for name in _imports(PACKAGE / module) if name.startswith("klachtbeheer")}
        assert {name.split(".")[1] for name in ours} <= {"core"}, (module, ours)


def test_the_project_api_mounts_one_router_per_app():
    from klachtbeheer.api.v1 import api
    from klachtbeheer.complaints import api as complaints_api
    from klachtbeheer.intake import api as intake_api

    mounted = [router for _prefix, router in api._routers]
    assert intake_api.router in mounted and complaints_api.router in mounted
    assert not hasattr(intake_api, "api") and not hasattr(complaints_api, "api")
