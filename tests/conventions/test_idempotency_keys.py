"""Rule 6 (CONVENTIONS.md): every call to Toss that moves money carries its Idempotency-Key,
and that key is stored before the call is sent.

Toss runs a POST once per key and answers a repeat with the first answer (docs/toss-api.md
§5), so a retry, by this process or by the reconciler after a crash, must send the very key
of the first try; a key only the sending process knew dies with it. Two keys exist:

- a confirm's is derived from (orderId, paymentKey, amount) by gateway/idempotency.py, and
  all three are on the order row before the call: the amount since the order was created,
  the paymentKey since the claim (`CONFIRM_CLAIMED`) that precedes every confirm;
- a cancel's is the stored cancel request's `toss_idempotency_key`: made only where the
  request is then saved, and sent only as read off that request.

Checked in the source (the client's POSTs carry the header; keys are derived from the call's
arguments; a cancel key is made only where it is saved and sent only off a request) and at
run time (a gateway that, at each call, looks at what is committed).
"""

from __future__ import annotations

import ast

from tests.conventions.source import (
    Sources,
    all_functions,
    called_name,
    calls_in_order,
    dotted,
    is_gateway_call,
    package_sources,
    where,
)
from tests.support.fakes import FakeGateway, MemoryStore, memory_services
from toss_graphql.domain.cancel import CancelArguments, cancel_payment
from toss_graphql.domain.confirm import confirm_payment
from toss_graphql.domain.models import CancelRequestStatus, OrderStatus, Principal, Role
from toss_graphql.domain.orders import CreateOrderRequest, create_order
from toss_graphql.domain.ports.gateway import (
    Checkout,
    GatewayRejected,
    RefundAccount,
    TossPayment,
)
from toss_graphql.domain.services import Services

HEADER = "Idempotency-Key"
KEY_FIELD = "toss_idempotency_key"
# Nothing a retry in another process could not draw again.
RANDOM_MODULES = frozenset({"secrets", "random", "uuid", "os", "time"})


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    arguments = function.args
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}


def posts_without_a_derived_key(sources: Sources) -> list[str]:
    """Each POST the Toss client sends (`self._call("POST", ...)`) whose headers carry no
    Idempotency-Key, or one not made from the method's own arguments alone."""
    found = []
    for module, function in all_functions(sources):
        parameters = _parameters(function)
        for call in calls_in_order(function):
            if called_name(call) != "_call" or not call.args:
                continue
            method = call.args[0]
            if not (isinstance(method, ast.Constant) and method.value == "POST"):
                continue
            headers = next((k.value for k in call.keywords if k.arg == "headers"), None)
            key = None
            if isinstance(headers, ast.Dict):
                key = next(
                    (
                        value
                        for name, value in zip(headers.keys, headers.values, strict=True)
                        if isinstance(name, ast.Constant) and name.value == HEADER
                    ),
                    None,
                )
            if key is None:
                found.append(f"{where(module, call, function)}: no {HEADER}")
                continue
            used = {node.id for node in ast.walk(key) if isinstance(node, ast.Name)}
            callees = {called_name(node) for node in ast.walk(key) if isinstance(node, ast.Call)}
            if not used - callees <= parameters:
                found.append(f"{where(module, call, function)}: {HEADER} not from the arguments")
    return sorted(set(found))


def random_key_derivations(sources: Sources) -> list[str]:
    found = []
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{where(module, node)}: {name}" for name in names if name in RANDOM_MODULES]
    return sorted(found)


def cancel_keys_not_stored_first(sources: Sources) -> list[str]:
    """Each cancel key made (`toss_idempotency_key=...`) without its request being saved,
    by the same function, before that function returns; and each `gateway.cancel` whose
    `idempotency_key` is not read off a request."""
    found = []
    for module, function in all_functions(sources):
        calls = calls_in_order(function)
        for call in calls:
            if is_gateway_call(call) and dotted(call.func)[-1] == "cancel":
                sent = next((k.value for k in call.keywords if k.arg == "idempotency_key"), None)
                if not (isinstance(sent, ast.Attribute) and sent.attr == KEY_FIELD):
                    found.append(f"{where(module, call, function)}: key not read off a request")
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
                continue
            if not any(k.arg == KEY_FIELD for k in node.value.keywords):
                continue
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            saves = [
                call.lineno
                for call in calls
                if dotted(call.func)[:2] == ["uow", "cancel_requests"]
                and dotted(call.func)[-1] in {"add", "save"}
                and any(isinstance(arg, ast.Name) and arg.id in names for arg in call.args)
                and call.lineno > node.lineno
            ]
            returns = [
                statement.lineno
                for statement in ast.walk(function)
                if isinstance(statement, ast.Return) and statement.lineno > node.lineno
            ]
            if not saves or (returns and min(returns) < min(saves)):
                found.append(f"{where(module, node, function)}: key made but not stored first")
    return sorted(set(found))


def test_every_post_to_toss_carries_a_key_made_from_its_arguments() -> None:
    assert posts_without_a_derived_key(package_sources("gateway")) == []


def test_the_keys_are_derived_without_chance() -> None:
    sources = package_sources("gateway", matching="idempotency.py")
    assert sources, "gateway/idempotency.py derives the confirm's key"
    assert random_key_derivations(sources) == []


def test_the_domain_stores_every_cancel_key_before_sending_it() -> None:
    assert cancel_keys_not_stored_first(package_sources("domain")) == []


def test_a_post_without_its_key_is_caught() -> None:
    source = """
class Client:
    async def cancel(self, *, payment_key, idempotency_key):
        return await self._call("POST", CANCEL, path, headers={"Authorization": "x"})

    async def confirm(self, *, payment_key, order_id, amount):
        key = fresh_key()
        return await self._call("POST", CONFIRM, CONFIRM, headers={"Idempotency-Key": key})

    async def get_payment(self, payment_key):
        return await self._call("GET", PAYMENT, path, headers={"Authorization": "x"})
"""
    assert posts_without_a_derived_key({"client.py": source}) == [
        "client.py:4 in cancel: no Idempotency-Key",
        "client.py:8 in confirm: Idempotency-Key not from the arguments",
    ]


def test_a_random_key_derivation_is_caught() -> None:
    source = "import secrets\n\ndef confirm_idempotency_key():\n    return secrets.token_hex()\n"
    assert random_key_derivations({"idempotency.py": source}) == ["idempotency.py:1: secrets"]


def test_a_cancel_key_sent_before_it_is_stored_is_caught() -> None:
    source = """
async def retry(services, request, payment_key):
    renewed = dataclasses.replace(request, toss_idempotency_key=request.toss_idempotency_key + ".1")
    return renewed

async def send(services, request, payment_key):
    await services.gateway.cancel(payment_key=payment_key, idempotency_key=new_key())
"""
    assert cancel_keys_not_stored_first({"cancel_calls.py": source}) == [
        "cancel_calls.py:3 in retry: key made but not stored first",
        "cancel_calls.py:7 in send: key not read off a request",
    ]


def test_a_cancel_key_stored_then_sent_passes() -> None:
    source = """
async def retry(services, request, payment_key):
    renewed = dataclasses.replace(request, toss_idempotency_key=request.toss_idempotency_key + ".1")
    async with services.unit_of_work() as uow:
        await uow.cancel_requests.save(renewed)
    await services.gateway.cancel(payment_key=key, idempotency_key=renewed.toss_idempotency_key)
"""
    assert cancel_keys_not_stored_first({"cancel_calls.py": source}) == []


class CommittedWatchingGateway(FakeGateway):
    """At each call that moves money: what the books already hold about its key."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self.store = store
        self.seen: list[str] = []

    async def confirm(
        self, *, payment_key: str, order_id: str, amount: int, checkout: Checkout
    ) -> TossPayment:
        order = self.store.orders[order_id]
        claimed = (order.status, order.payment_key, order.amount)
        assert claimed == (OrderStatus.CONFIRMING, payment_key, amount), claimed
        self.seen.append(f"confirm {payment_key}")
        return await super().confirm(
            payment_key=payment_key, order_id=order_id, amount=amount, checkout=checkout
        )

    async def cancel(
        self,
        *,
        payment_key: str,
        cancel_reason: str,
        cancel_amount: int | None,
        refundable_amount: int | None,
        idempotency_key: str,
        checkout: Checkout,
        refund_account: RefundAccount | None = None,
    ) -> TossPayment:
        stored = [
            request
            for request in self.store.cancel_requests.values()
            if request.toss_idempotency_key == idempotency_key
        ]
        assert len(stored) == 1, f"{idempotency_key} is not stored"
        [request] = stored
        assert request.status is CancelRequestStatus.PENDING and request.sent_at is not None
        self.seen.append(f"cancel {idempotency_key}")
        return await super().cancel(
            payment_key=payment_key,
            cancel_reason=cancel_reason,
            cancel_amount=cancel_amount,
            refundable_amount=refundable_amount,
            idempotency_key=idempotency_key,
            checkout=checkout,
            refund_account=refund_account,
        )


async def test_each_key_is_committed_before_toss_is_called() -> None:
    store = MemoryStore()
    gateway = CommittedWatchingGateway(store)
    services: Services = memory_services(store, gateway)
    shop = Principal("shop", Role.SERVICE)
    order = await create_order(
        services, shop, CreateOrderRequest(order_name="구독", amount=10000, buyer="alice")
    )
    alice = Principal("alice")
    await confirm_payment(
        services, alice, payment_key="pay-1", order_id=order.order_id, amount=10000
    )
    # Refused once as too soon after another cancel: sent again under a new key.
    gateway.cancel_failures.append(
        GatewayRejected("FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청", 403)
    )
    arguments = CancelArguments(buyer="alice", order_name="구독", reason="고객 요청", amount=500)
    result = await cancel_payment(services, alice, arguments)

    assert result.order.status is OrderStatus.PARTIALLY_CANCELED
    [request] = store.cancel_requests.values()
    first, second = (key for _, _, key in gateway.cancel_calls)
    assert gateway.seen == ["confirm pay-1", f"cancel {first}", f"cancel {second}"]
    assert second == request.toss_idempotency_key != first
