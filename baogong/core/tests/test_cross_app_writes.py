"""No app writes another app's tables: it calls that app's public actions or in-transaction
functions (DESIGN.md, "one way across apps").

A static check over every non-test, non-migration module of ``baogong/``: each model class is
mapped to its app (Django's registry), each name a module imports from an app's ``models`` is
followed, and a write is flagged when it runs on another app's model — a manager write
(``Model.objects.create/update/delete/bulk_create/...``, also at the end of a queryset chain) or
``save()``/``delete()``/``update()``/... on a variable assigned (or looped) from such a model or
queryset in the same function. Writes through objects another app's function returned (the type
is not in the syntax) are not seen: mypy and review cover those.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

pytestmark = pytest.mark.clock_free  # no clock read: left out of the moved-clock pass (make test-clock)
ROOT = Path(__file__).resolve().parents[2]  # baogong/
MANAGER_WRITES = {
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
INSTANCE_WRITES = MANAGER_WRITES | {"save", "refresh_from_db_and_save"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}

# (module, model) pairs still writing another app's table, each with the reason it is left.
KNOWN: dict[tuple[str, str], str] = {}


def _models_by_app() -> dict[str, set[str]]:
    owned: dict[str, set[str]] = {}
    for model in apps.get_models():
        if model.__module__.startswith("baogong."):
            owned.setdefault(model.__module__.split(".")[1], set()).add(model.__name__)
    return owned


def _absolute(node: ast.ImportFrom, rel: Path) -> str:
    if not node.level:
        return node.module or ""
    package = ["baogong", *rel.parent.parts]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _root(node: ast.expr) -> tuple[str | None, list[str]]:
    """The name a chain ``a.b(...).c[...]`` starts from, and the attributes along it."""
    attrs: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return (node.id if isinstance(node, ast.Name) else None), attrs[::-1]


def _outside_functions(tree: ast.AST) -> list[ast.AST]:
    nodes: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        nodes.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def cross_app_writes(root: Path = ROOT) -> list[tuple[str, int, str, str, str]]:
    """``(module, line, writing app, owning app, model)`` for every write found under ``root``
    (laid out like ``baogong/``)."""
    owned = _models_by_app()
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if len(rel.parts) < 2 or "tests" in rel.parts or "migrations" in rel.parts:
            continue
        here = rel.parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        models: dict[str, tuple[str, str]] = {}  # local name -> (app, model)
        modules: dict[str, str] = {}  # local name of an app's models module -> app
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = _absolute(node, rel).split(".")
            if len(module) < 2 or module[0] != "baogong" or module[1] not in owned:
                continue
            app = module[1]
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name in owned[app]:
                    models[local] = (app, alias.name)
                elif alias.name == "models" and len(module) == 2:
                    modules[local] = app

        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        # each function with the names bound in it; the module's own statements apart
        for body in [_outside_functions(tree), *(list(ast.walk(f)) for f in functions)]:
            tainted: dict[str, tuple[str, str]] = {}

            def model_of(expr: ast.expr, tainted: dict[str, tuple[str, str]] = tainted) -> tuple[str, str] | None:
                name, attrs = _root(expr)
                if name in models:
                    return models[name]
                if name in modules and attrs and attrs[0] in owned[modules[name]]:
                    return modules[name], attrs[0]
                return tainted.get(name or "")

            for _ in range(2):  # twice: a loop variable may be used above the line it is bound on
                for node in body:
                    if isinstance(node, ast.Assign):
                        targets, value = node.targets, node.value
                    elif isinstance(node, ast.AnnAssign) and node.value is not None:
                        targets, value = [node.target], node.value
                    elif isinstance(node, (ast.For, ast.comprehension)):
                        targets, value = [node.target], node.iter
                    else:
                        continue
                    owner = model_of(value)
                    if owner is not None:
                        for target in targets:
                            tainted.update({n.id: owner for n in ast.walk(target) if isinstance(n, ast.Name)})
            for node in body:
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                method = node.func.attr
                name, attrs = _root(node.func.value)
                owner = model_of(node.func.value)
                if owner is None or owner[0] == here:
                    continue
                through_manager = bool(MANAGERS & set(attrs))
                if (through_manager and method in MANAGER_WRITES) or (name in tainted and method in INSTANCE_WRITES):
                    found.append((str(rel), node.lineno, here, owner[0], owner[1]))
    return sorted(set(found))


def test_no_app_writes_another_apps_models():
    writes = [w for w in cross_app_writes() if (w[0], w[4]) not in KNOWN]
    assert writes == [], "\n".join(f"{m}:{line}: {app} writes {owner}.{model}" for m, line, app, owner, model in writes)


def test_the_known_exceptions_are_still_there():
    # when one is fixed, take it off KNOWN
    seen = {(w[0], w[4]) for w in cross_app_writes()}
    assert set(KNOWN) <= seen


def test_the_check_sees_a_cross_app_write(tmp_path):
    # given a module of fleet that saves a distribution shipment and creates an orgs grant
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "probe.py").write_text(
        "from baogong.distribution.models import Shipment\n"
        "from baogong.orgs import models as org_models\n"
        "from ..fleet.models import Vehicle\n\n\n"
        "def probe(pk, user):\n"
        "    for shipment in Shipment.objects.filter(pk=pk):\n"
        "        shipment.save()\n"
        "    Shipment.objects.filter(pk=pk).select_for_update().update(vehicle_id=None)\n"
        "    org_models.Grant.objects.create(user=user, is_global=True)\n"
        "    Vehicle.objects.filter(pk=pk).delete()\n",
        encoding="utf-8",
    )
    # when
    found = cross_app_writes(tmp_path)
    # then its own app's vehicle is fine, the others are not
    assert found == [
        ("fleet/probe.py", 8, "fleet", "distribution", "Shipment"),
        ("fleet/probe.py", 9, "fleet", "distribution", "Shipment"),
        ("fleet/probe.py", 10, "fleet", "orgs", "Grant"),
    ]


def test_the_functions_other_apps_write_through_refuse_to_run_outside_a_transaction():
    from django.db import transaction

    from baogong.core.audit import SystemActor
    from baogong.core.transactions import OutsideTransaction
    from baogong.distribution.shipments import Transport, assign_transport
    from baogong.inventory import ledger
    from baogong.inventory import lots as inventory_lots
    from baogong.orgs import actions as org_actions

    # given no transaction is open (no database access at all: the check comes first)
    assert not transaction.get_connection().in_atomic_block
    system = SystemActor("test")
    calls = [
        lambda: assign_transport({1: Transport(vehicle_id=1, vehicle_plate="沪A10001")}, "accept_plan", actor=system),
        lambda: org_actions.add_grant(None, everything=True, actor=system),
        lambda: org_actions.add_organisation({"code": "X"}, actor=system),
        lambda: org_actions.ensure_area("X", name="X", level="street"),
        lambda: inventory_lots.mark_suspected_counterfeit([], reason="x", actor=system),
        lambda: ledger.release_many([], actor=system),
    ]
    # when / then each refuses before touching anything
    for call in calls:
        with pytest.raises(OutsideTransaction):
            call()
