"""Reading the package's own source for the conventions (CONVENTIONS.md).

Every checker takes source text, `{module name: source}`, so each rule is tested twice: the
package passes, and a small synthetic violation is caught.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import toss_graphql

PACKAGE = Path(toss_graphql.__file__).resolve().parent
REPOSITORY = PACKAGE.parent

Sources = Mapping[str, str]
Function = ast.FunctionDef | ast.AsyncFunctionDef


def package_sources(under: str = "", *, matching: str = "*.py") -> dict[str, str]:
    """`{path relative to the repository: source}` of the package's modules below `under`."""
    root = PACKAGE / under
    return {
        str(path.relative_to(REPOSITORY)): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob(matching))
        if "__pycache__" not in path.parts
    }


def functions(tree: ast.AST) -> Iterator[Function]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def all_functions(sources: Sources) -> Iterator[tuple[str, Function]]:
    for module, source in sources.items():
        for function in functions(ast.parse(source)):
            yield module, function


def dotted(node: ast.expr) -> list[str]:
    """`services.gateway.confirm` as ["services", "gateway", "confirm"]; [] for anything else
    than names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    if isinstance(node, ast.Call):
        return [*dotted(node.func), *parts[::-1]]
    return []


def called_name(call: ast.Call) -> str | None:
    """The simple name a call calls: `f` of `f(...)` and of `x.y.f(...)`."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def calls_in_order(node: ast.AST) -> list[ast.Call]:
    """Every call under `node`, in source order; nested function bodies left out."""
    found: list[ast.Call] = []

    def visit(current: ast.AST) -> None:
        for child in ast.iter_child_nodes(current):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Call):
                found.append(child)
            visit(child)

    visit(node)
    return sorted(found, key=lambda call: (call.lineno, call.col_offset))


def is_gateway_call(call: ast.Call) -> bool:
    """A direct call of the Toss port: `services.gateway.<method>(...)`."""
    parts = dotted(call.func)
    return "gateway" in parts[:-1]


def on_unit_of_work(call: ast.Call) -> bool:
    """A repository call made through the unit of work: `uow.<repository>.<method>(...)`."""
    parts = dotted(call.func)
    return bool(parts) and parts[0] == "uow"


def opens_unit_of_work(node: ast.AsyncWith | ast.With) -> bool:
    return any(
        isinstance(item.context_expr, ast.Call) and called_name(item.context_expr) == "unit_of_work"
        for item in node.items
    )


def units_of_work(function: Function) -> Iterator[ast.AsyncWith | ast.With]:
    for node in ast.walk(function):
        if isinstance(node, ast.AsyncWith | ast.With) and opens_unit_of_work(node):
            yield node


def takes_unit_of_work(function: Function) -> bool:
    """A function handed the caller's open transaction: a `uow` parameter."""
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return any(argument.arg == "uow" for argument in every)


def reaching(sources: Sources, direct: Callable[[ast.Call], bool]) -> set[str]:
    """The names of the functions that make a call `direct` accepts, themselves or through
    other functions of `sources` (by simple name; repository calls through `uow` excluded)."""
    calls: dict[str, list[ast.Call]] = {}
    for _, function in all_functions(sources):
        calls.setdefault(function.name, []).extend(calls_in_order(function))
    found = {name for name, made in calls.items() if any(direct(call) for call in made)}
    while True:
        more = {
            name
            for name, made in calls.items()
            if name not in found
            and any(called_name(call) in found and not on_unit_of_work(call) for call in made)
        }
        if not more:
            return found
        found |= more


def toss_callers(sources: Sources) -> set[str]:
    """Functions that call Toss, directly or through others."""
    return reaching(sources, is_gateway_call)


def calls_toss(call: ast.Call, callers: set[str]) -> bool:
    if is_gateway_call(call):
        return True
    return called_name(call) in callers and not on_unit_of_work(call)


def where(module: str, node: ast.AST, function: Function | None = None) -> str:
    inside = f" in {function.name}" if function is not None else ""
    return f"{module}:{getattr(node, 'lineno', 0)}{inside}"
