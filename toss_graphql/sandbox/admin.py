"""`GET /admin/requests`: the request log, for tests that check what reached "Toss".

Unauthenticated on purpose: whoever mounts the sandbox decides whether it is reachable.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from toss_graphql.sandbox.database import Database
from toss_graphql.sandbox.request_log import list_requests


class AdminApi:
    def __init__(self, database: Database) -> None:
        self._database = database

    def routes(self) -> list[Route]:
        return [Route("/admin/requests", self.requests, methods=["GET"])]

    async def requests(self, request: Request) -> JSONResponse:
        entries = await list_requests(
            self._database,
            path=request.query_params.get("path"),
            method=request.query_params.get("method"),
        )
        return JSONResponse(
            {
                "requests": [
                    {
                        "method": entry.method,
                        "path": entry.path,
                        "idempotencyKey": entry.idempotency_key,
                        "status": entry.status,
                        "replayed": entry.replayed,
                    }
                    for entry in entries
                ]
            }
        )
