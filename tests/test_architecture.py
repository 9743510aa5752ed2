"""The shape of the code (docs/architecture.md): what `lint-imports` (.importlinter) cannot say.

- No import cycles between the project's own modules, counting imports inside functions too.
- No module imports another package's underscore names.
- An import of the project's own code inside a function says why on its line (it keeps a cold start lean).
- No function in shared/ runs over 80 lines without a one-line reason (`# long: ...` above its `def`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shared", "functions", "infra")
MAX_FUNCTION_LINES = 80


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (or the module a name is taken from)
    names: tuple[str, ...]
    line: int
    in_function: bool
    text: str


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(modules: dict[str, Path]) -> list[Import]:
    found = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        nested = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(fn)
            if node is not fn
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                pairs = [(alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = tuple(alias.name for alias in node.names)
                submodules = [f"{node.module}.{n}" for n in names if f"{node.module}.{n}" in modules]
                pairs = [(node.module, tuple(n for n in names if f"{node.module}.{n}" not in modules))]
                pairs += [(m, ()) for m in submodules]
            else:
                continue
            text = "\n".join(lines[node.lineno - 2 : node.end_lineno])
            for target, names in pairs:
                if target.split(".")[0] in PACKAGES:
                    found.append(Import(module, target, names, node.lineno, id(node) in nested, text))
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _package(module: str) -> str:
    """A module's package: shared.tickets.intake -> shared.tickets; functions.route_tasks -> functions."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def test_no_import_cycles_between_own_modules_even_through_function_level_imports():
    modules = _sources()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for imp in _imports(modules):
        if imp.target in modules and imp.target != imp.module:
            edges[imp.module].add(imp.target)
    assert _cycles(edges) == []


def test_no_module_takes_another_packages_underscore_names():
    offenders = [
        f"{imp.module}:{imp.line} takes {name} from {imp.target}"
        for imp in _imports(_sources())
        for name in imp.names
        if name.startswith("_") and _package(imp.target) != _package(imp.module)
    ]
    assert offenders == []


def test_every_function_level_import_of_own_code_says_why():
    unexplained = [
        f"{imp.module}:{imp.line}: {imp.text.strip()}"
        for imp in _imports(_sources())
        if imp.in_function and "#" not in imp.text
    ]
    assert unexplained == []


def test_no_long_function_in_shared_without_a_reason():
    long_ones = []
    for module, path in _sources().items():
        if not module.startswith("shared"):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                length = node.end_lineno - start + 1
                reason = lines[start - 2].strip() if start >= 2 else ""
                if length > MAX_FUNCTION_LINES and not reason.startswith("# long:"):
                    long_ones.append(f"{module}.{node.name}: {length} lines")
    assert long_ones == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above can fail: a loop of three is found, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
