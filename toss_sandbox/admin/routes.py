"""The sandbox's own controls under `/admin`, for tests and for a person trying things:
the request log, the clock, faults, reset; webhooks are in webhooks.py, and what the
bank does to virtual accounts in virtual_accounts.py.

Unauthenticated on purpose: whoever mounts the sandbox decides whether it is reachable, and
`SandboxConfig.admin_enabled=False` turns every route here into a 404.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Final

from sqlalchemy import delete
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from toss_sandbox.admin.plumbing import (
    AdminError,
    Handler,
    error_response,
    invalid,
    json_body,
    json_response,
    seconds,
    timestamp,
)
from toss_sandbox.admin.virtual_accounts import VirtualAccountAdmin
from toss_sandbox.admin.webhooks import WebhookAdmin
from toss_sandbox.api.faults import (
    InvalidFault,
    add_faults,
    clear_faults,
    list_faults,
    parse_faults,
)
from toss_sandbox.clock import SandboxClock
from toss_sandbox.lifecycle.outbox import DeliveryStatus
from toss_sandbox.storage.database import Database
from toss_sandbox.storage.request_log import list_requests
from toss_sandbox.storage.tables import webhook_deliveries

# Ten years: far enough for any of Toss's time limits, small enough to stay a valid date.
_MAX_ADVANCE_SECONDS: Final = 10 * 366 * 24 * 3600
_ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _guarded(handler: Handler) -> Handler:
    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except AdminError as error:
            return error_response(error)

    return handle


async def _not_found(request: Request) -> Response:
    return error_response(AdminError(404, "NOT_FOUND", "no such admin endpoint"))


def disabled_routes() -> list[BaseRoute]:
    """What `/admin` is when the admin is switched off: nothing."""
    return [
        Route("/admin", _not_found, methods=_ALL_METHODS),
        Route("/admin/{rest:path}", _not_found, methods=_ALL_METHODS),
    ]


class AdminApi:
    def __init__(
        self,
        database: Database,
        clock: SandboxClock,
        webhooks: WebhookAdmin,
        virtual_accounts: VirtualAccountAdmin,
    ) -> None:
        self._database = database
        self._clock = clock
        self._webhooks = webhooks
        self._virtual_accounts = virtual_accounts

    def routes(self) -> list[BaseRoute]:
        endpoints: list[tuple[str, Handler, list[str]]] = [
            ("/admin/requests", self.requests, ["GET"]),
            ("/admin/clock", self.clock, ["GET"]),
            ("/admin/clock", self.advance_clock, ["POST"]),
            ("/admin/reset", self.reset, ["POST"]),
            ("/admin/faults", self.faults, ["GET"]),
            ("/admin/faults", self.add_faults, ["POST"]),
            ("/admin/faults", self.clear_faults, ["DELETE"]),
            ("/admin/faults/{faultId:int}", self.clear_fault, ["DELETE"]),
            *self._webhooks.endpoints(),
            *self._virtual_accounts.endpoints(),
        ]
        return [
            *(
                Route(path, _guarded(handler), methods=methods)
                for path, handler, methods in endpoints
            ),
            # Anything else under /admin answers in the same JSON shape.
            *disabled_routes(),
        ]

    async def requests(self, request: Request) -> Response:
        entries = await list_requests(
            self._database,
            path=request.query_params.get("path"),
            method=request.query_params.get("method"),
        )
        return json_response(
            {
                "requests": [
                    {
                        "method": entry.method,
                        "path": entry.path,
                        "idempotencyKey": entry.idempotency_key,
                        "status": entry.status,
                        "replayed": entry.replayed,
                        "fault": entry.fault,
                        "keySet": entry.key_set,
                    }
                    for entry in entries
                ]
            }
        )

    async def _clock_json(self) -> dict[str, object]:
        async with self._database.read() as connection:
            now = await self._clock.now_in(connection)
            offset = await self._clock.offset_in(connection)
        return {"now": timestamp(now), "offsetSeconds": seconds(offset)}

    async def clock(self, request: Request) -> Response:
        return json_response(await self._clock_json())

    async def advance_clock(self, request: Request) -> Response:
        body = await json_body(request)
        amount = body.get("advanceSeconds") if isinstance(body, dict) else None
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not math.isfinite(amount)
            or not 0 <= amount <= _MAX_ADVANCE_SECONDS
        ):
            raise invalid(f"advanceSeconds must be a number from 0 to {_MAX_ADVANCE_SECONDS}")
        await self._clock.advance(timedelta(seconds=amount))
        return json_response(await self._clock_json())

    async def reset(self, request: Request) -> Response:
        """Faults, the clock's offset and pending webhooks go; payments and logs stay."""
        faults_cleared = await clear_faults(self._database)
        await self._clock.reset()
        async with self._database.write() as connection:
            result = await connection.execute(
                delete(webhook_deliveries).where(
                    webhook_deliveries.c.status == DeliveryStatus.PENDING
                )
            )
        return json_response({"faultsCleared": faults_cleared, "webhooksCleared": result.rowcount})

    async def faults(self, request: Request) -> Response:
        async with self._database.read() as connection:
            in_force = await list_faults(connection)
        return json_response({"faults": [fault.as_json() for fault in in_force]})

    async def add_faults(self, request: Request) -> Response:
        try:
            specs = parse_faults(await json_body(request))
        except InvalidFault as error:
            raise invalid(str(error)) from None
        added = await add_faults(self._database, specs)
        return json_response({"faults": [fault.as_json() for fault in added]}, status=201)

    async def clear_faults(self, request: Request) -> Response:
        return json_response({"deleted": await clear_faults(self._database)})

    async def clear_fault(self, request: Request) -> Response:
        fault_id: int = request.path_params["faultId"]
        if not await clear_faults(self._database, fault_id):
            raise AdminError(404, "NOT_FOUND", f"no fault {fault_id}")
        return json_response({"deleted": 1})
