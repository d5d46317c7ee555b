"""Rule 5 (CONVENTIONS.md): all SQL lives in db/, and the domain imports no driver, web or
telemetry package.

The second half is an import contract, "The domain imports no web, GraphQL, database, HTTP
or telemetry package" in pyproject.toml's [tool.importlinter], which `lint-imports` (`make
lint`) enforces; the test here holds the contract to the packages the rule names and reads
the domain's imports against the contract's own list. The first half is checked here: no
module of the package outside db/ builds a statement (SQLAlchemy's `text`, `select`,
`insert`, `update`, `delete`, `func`) or holds SQL text.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass

from tests.conventions.source import REPOSITORY, Sources, package_sources, where

DOMAIN_CONTRACT = "The domain imports no web, GraphQL, database, HTTP or telemetry package"
# What the rule names: the database drivers and SQL toolkit, the web and GraphQL stack, the
# HTTP client, and telemetry.
NAMED_BY_THE_RULE = frozenset(
    {
        "aiosqlite",
        "asyncpg",
        "sqlite3",
        "sqlalchemy",
        "alembic",
        "starlette",
        "strawberry",
        "graphql",
        "uvicorn",
        "httpx",
        "opentelemetry",
        "prometheus_client",
        "toss_graphql.telemetry",
    }
)
STATEMENT_BUILDERS = frozenset({"text", "select", "insert", "update", "delete", "func"})
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|SELECT\s+\d|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s"
    r"|CREATE\s+(TABLE|INDEX)\s|ALTER\s+TABLE\s|DROP\s+(TABLE|INDEX)\s|PRAGMA\s)",
    re.S,
)
# SQL outside db/ today, to be moved into db/; the list may only shrink.
KNOWN_OUTSIDE_DB: frozenset[str] = frozenset()


def sql_outside_db(sources: Sources) -> list[str]:
    found = []
    for module, source in sources.items():
        if "/db/" in f"/{module}":
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                built = sorted({alias.name for alias in node.names} & STATEMENT_BUILDERS)
                if built:
                    found.append(f"{where(module, node)}: sqlalchemy {', '.join(built)}")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.match(node.value)
            ):
                found.append(f"{where(module, node)}: SQL text")
    return sorted(set(found))


@dataclass(frozen=True)
class Contract:
    kind: str
    sources: list[str]
    forbidden: frozenset[str]


def domain_contract() -> Contract:
    settings = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = settings["tool"]["importlinter"]["contracts"]
    [contract] = [c for c in contracts if c["name"] == DOMAIN_CONTRACT]
    return Contract(
        contract["type"], contract["source_modules"], frozenset(contract["forbidden_modules"])
    )


def forbidden_imports(sources: Sources, forbidden: frozenset[str]) -> list[str]:
    found = []
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if any(name == f or name.startswith(f"{f}.") for f in forbidden):
                    found.append(f"{where(module, node)}: {name}")
    return sorted(found)


def test_sql_stays_in_db() -> None:
    outside = {entry.split(":", 1)[0] for entry in sql_outside_db(package_sources())}
    assert outside <= KNOWN_OUTSIDE_DB, sql_outside_db(package_sources())


def test_the_import_contract_forbids_what_the_rule_names() -> None:
    contract = domain_contract()
    assert (contract.kind, contract.sources) == ("forbidden", ["toss_graphql.domain"])
    assert NAMED_BY_THE_RULE - contract.forbidden == set()


def test_the_domain_imports_nothing_the_contract_forbids() -> None:
    forbidden = domain_contract().forbidden
    assert forbidden_imports(package_sources("domain"), forbidden) == []


def test_sql_outside_db_is_caught() -> None:
    source = '''
from sqlalchemy import func, select

async def cancels_for_orders(connection, order_ids):
    return await connection.exec_driver_sql("SELECT * FROM cancels WHERE order_id = ?")

def probe():
    return "SELECT 1"

def docstring():
    """Select the order and update its books."""
'''
    assert sql_outside_db({"toss_graphql/domain/cancel_queries.py": source}) == [
        "toss_graphql/domain/cancel_queries.py:2: sqlalchemy func, select",
        "toss_graphql/domain/cancel_queries.py:5: SQL text",
        "toss_graphql/domain/cancel_queries.py:8: SQL text",
    ]
    assert sql_outside_db({"toss_graphql/db/reads.py": source}) == []


def test_a_driver_imported_by_the_domain_is_caught() -> None:
    forbidden = domain_contract().forbidden
    source = "import sqlite3\nfrom sqlalchemy.ext.asyncio import AsyncConnection\nimport json\n"
    assert forbidden_imports({"confirm.py": source}, forbidden) == [
        "confirm.py:1: sqlite3",
        "confirm.py:2: sqlalchemy.ext.asyncio",
    ]
