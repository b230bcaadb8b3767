"""The approvals app's modules import each other in one direction only, and the chain
planner stays pure: read from the source with ``ast``, imports inside functions included,
so a circle can't hide behind a deferred import."""

from __future__ import annotations

import ast
from pathlib import Path

import approvals

ROOT = Path(approvals.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in ROOT.rglob("*.py")}


def _imported(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The approvals modules ``name`` imports, and the packages importing them runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            targets.add(base)
            # ``from approvals.services import routing`` imports the submodule itself.
            targets.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules)
    found: set[str] = set()
    for target in targets:
        parts = target.split(".")
        found.update(".".join(parts[:n]) for n in range(1, len(parts) + 1) if ".".join(parts[:n]) in modules)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(path, name, modules) for name, path in modules.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == "open":
                return [*stack[stack.index(child) :], child]
            if child not in state and (cycle := visit(child)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_module_of_approvals_imports_itself_back():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_graph_sees_deferred_and_package_imports():
    graph = _graph()
    # Guards the test above against reading nothing: these edges exist today.
    assert "approvals.services.chain_rebuilds" in graph["approvals.tasks"]
    assert "approvals.tasks" in graph["approvals.services.outbox"]
    assert "approvals.services.routing" in graph["approvals.services.trips"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_a_circle_through_a_deferred_import_is_found(tmp_path):
    source = "def later():\n    from approvals.tasks import process_chain_changes\n"
    path = tmp_path / "chain_rebuilds.py"
    path.write_text(source)
    modules = {"approvals": ROOT, "approvals.tasks": ROOT / "tasks.py"}
    assert _imported(path, "approvals.services.chain_rebuilds", modules) == {"approvals", "approvals.tasks"}


def test_the_chain_planner_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "chains.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= {"__future__", "collections", "dataclasses", "uuid"}
