// Toss sent the buyer back with paymentKey, orderId and amount. The server confirms them: it
// checks the amount against the stored order, so an edited address only earns AMOUNT_MISMATCH.
import { graphql, payloadOrThrow } from "./api.js";
import { ensureToken } from "./config.js";
import { followOrder } from "./live.js";
import { errorText, show, won } from "./view.js";

const POLL_MS = 2000;
const SETTLED = new Set(["PAID", "WAITING_FOR_DEPOSIT", "FAILED", "PARTIALLY_CANCELED", "CANCELED"]);

function render(order, payment) {
  document.getElementById("details").hidden = false;
  document.getElementById("order-id").textContent = order.orderId;
  document.getElementById("order-status").textContent = order.status;
  document.getElementById("paid").textContent = payment ? won(payment.totalAmount) : "—";
}

function showSettled(order) {
  render(order, order.payment);
  show("status", order.status === "PAID" ? "Paid." : `The order is ${order.status}.`, order.status === "PAID" ? "ok" : "error");
}

// PAYMENT_PENDING: Toss's answer did not come; the order settles later (webhook, reconciler).
// The page follows it live, and polls where no WebSocket can be opened.
async function followUntilSettled(orderId) {
  try {
    showSettled(await followOrder(orderId, (order) => SETTLED.has(order.status)));
    return;
  } catch (error) {
    if (error.code !== "NETWORK") throw error;
  }
  for (;;) {
    const { order } = await graphql("SettledOrder", { orderId });
    if (order && SETTLED.has(order.status)) {
      showSettled(order);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function start() {
  await ensureToken();
  const query = new URLSearchParams(location.search);
  const variables = {
    paymentKey: query.get("paymentKey") || "",
    orderId: query.get("orderId") || "",
    amount: Number(query.get("amount")),
  };
  if (!Number.isInteger(variables.amount)) {
    show("status", "INVALID_INPUT: the amount in the address is not a whole number", "error");
    return;
  }
  const data = await graphql("ConfirmPayment", variables);
  try {
    const { order, payment } = payloadOrThrow(data.confirmPayment);
    render(order, payment);
    show("status", "Paid.", "ok");
  } catch (error) {
    show("status", errorText(error), "error");
    if (error.code === "PAYMENT_PENDING" || error.code === "CONFIRM_IN_PROGRESS") {
      await followUntilSettled(variables.orderId);
    }
  }
}

start().catch((error) => show("status", errorText(error), "error"));
