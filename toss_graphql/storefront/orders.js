// The buyer's orders, with partial and full cancel and the cancel history. Each click on a
// cancel button carries an idempotency key of its own: a double click refunds once.
import { graphql, payloadOrThrow } from "./api.js";
import { buyer, ensureToken } from "./config.js";
import { element, errorText, show, won } from "./view.js";

const CANCELABLE = new Set(["PAID", "PARTIALLY_CANCELED"]);

function cancelCell(order) {
  if (!CANCELABLE.has(order.status)) return element("td");
  const amount = element("input", {
    type: "number", min: "1", placeholder: "all", ariaLabel: `Amount to cancel of ${order.orderId}`,
  });
  const button = element("button", { type: "button", textContent: "Cancel" });
  button.dataset.orderId = order.orderId;
  button.addEventListener("click", async () => {
    button.disabled = true;
    const variables = {
      buyer: buyer(),
      orderName: order.orderName,
      orderId: order.orderId,
      reason: "Canceled in the demo shop",
      amount: amount.value ? Number(amount.value) : null,
      // One key per click: a retry of this click is answered, never refunded twice.
      idempotencyKey: crypto.randomUUID(),
    };
    try {
      const { cancel } = payloadOrThrow((await graphql("CancelPayment", variables)).cancelPayment);
      show("status", `Canceled ${won(cancel.cancelAmount)} of ${order.orderId}.`, "ok");
    } catch (error) {
      show("status", errorText(error), "error");
    }
    await refresh();
  });
  return element("td", {}, amount, button);
}

async function refresh() {
  const data = await graphql("MyOrders");
  const rows = data.orders.edges.map(({ node: order }) =>
    element(
      "tr",
      { id: `order-${order.orderId}` },
      element("td", { textContent: `${order.orderName} (${order.orderId})` }),
      element("td", { textContent: order.status, className: "order-status" }),
      element("td", { textContent: won(order.amount) }),
      element("td", { textContent: order.payment ? won(order.payment.balanceAmount) : "—", className: "balance" }),
      cancelCell(order),
    ),
  );
  document.getElementById("orders").replaceChildren(...rows);
  const cancels = data.cancels.edges.map(({ node: cancel }) =>
    element("li", {
      textContent: `${cancel.canceledAt} · ${cancel.orderName} (${cancel.orderId}) · ${won(cancel.cancelAmount)} · ${cancel.cancelReason}`,
    }),
  );
  document.getElementById("cancels").replaceChildren(...cancels);
}

async function start() {
  await ensureToken();
  await refresh();
}

start().catch((error) => show("status", errorText(error), "error"));
