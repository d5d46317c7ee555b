"""Rule 7 (CONVENTIONS.md): reads take no transaction.

A read answers from one statement, which is its own snapshot, on the read path
(`Services.reads`, docs/architecture.md §5); a unit of work would take a writer's place (on
SQLite, the database's write lock) for a read that changes nothing. The read path is every
module of db/ named for reads (reads.py, sqlite_reads.py, postgres_reads.py, read_rows.py,
and any like them added later) and the domain's query modules (domain/*_queries.py). None of
them imports the unit of work, opens one, begins a transaction or sends BEGIN, and a plain
`sqlite3` connection among them is opened in autocommit (`isolation_level=None`).
"""

from __future__ import annotations

import ast
import re

from tests.conventions.source import (
    Sources,
    called_name,
    dotted,
    package_sources,
    where,
)

OPENERS = frozenset({"unit_of_work", "begin", "begin_nested", "transaction"})
TRANSACTION_SQL = re.compile(r"^\s*(BEGIN|START\s+TRANSACTION|SAVEPOINT|COMMIT)\b", re.I)


def read_path_sources() -> dict[str, str]:
    return {
        **package_sources("db", matching="*read*.py"),
        **package_sources("domain", matching="*_queries.py"),
    }


def _imports_unit_of_work(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any("unit_of_work" in alias.name for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        named = {alias.name for alias in node.names}
        return "unit_of_work" in (node.module or "") or bool(
            named & {"unit_of_work", "UnitOfWork", "SqlUnitOfWork"}
        )
    return False


def transactions_on_the_read_path(sources: Sources) -> list[str]:
    found = []
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if _imports_unit_of_work(node):
                found.append(f"{where(module, node)}: imports the unit of work")
            elif isinstance(node, ast.Call) and called_name(node) in OPENERS:
                found.append(f"{where(module, node)}: {ast.unparse(node.func)}()")
            elif isinstance(node, ast.Call) and dotted(node.func) == ["sqlite3", "connect"]:
                autocommit = any(
                    k.arg == "isolation_level"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is None
                    for k in node.keywords
                )
                if not autocommit:
                    found.append(f"{where(module, node)}: sqlite3 connection not in autocommit")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and TRANSACTION_SQL.match(node.value)
            ):
                found.append(f"{where(module, node)}: sends {node.value.split()[0]}")
    return sorted(set(found))


def test_the_read_path_is_where_the_rule_says() -> None:
    names = {path.rsplit("/", 1)[-1] for path in read_path_sources()}
    assert {"reads.py", "sqlite_reads.py", "postgres_reads.py", "read_rows.py"} <= names


def test_the_read_path_takes_no_transaction() -> None:
    assert transactions_on_the_read_path(read_path_sources()) == []


def test_a_transaction_on_the_read_path_is_caught() -> None:
    source = """
from .unit_of_work import SqlUnitOfWork
import sqlite3

async def cancels_for_orders(services, order_ids):
    async with services.unit_of_work() as uow:
        return await uow.cancels.get_many_by_order_id(order_ids)

async def fetch(engine, sql):
    async with engine.begin() as connection:
        return await connection.exec_driver_sql(sql)

def connect(path):
    connection = sqlite3.connect(path)
    connection.execute("BEGIN")
    return connection
"""
    assert transactions_on_the_read_path({"cancel_queries.py": source}) == [
        "cancel_queries.py:10: engine.begin()",
        "cancel_queries.py:14: sqlite3 connection not in autocommit",
        "cancel_queries.py:15: sends BEGIN",
        "cancel_queries.py:2: imports the unit of work",
        "cancel_queries.py:6: services.unit_of_work()",
    ]


def test_a_read_by_one_statement_passes() -> None:
    source = """
import sqlite3

async def cancels_for_orders(services, order_ids):
    return await services.reads.cancels(order_ids)

def connect(path):
    return sqlite3.connect(path, isolation_level=None)
"""
    assert transactions_on_the_read_path({"cancel_queries.py": source}) == []
