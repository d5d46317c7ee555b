// Toss sent the buyer back with code, message and orderId. The server records the failure
// (the order becomes FAILED), the page shows Toss's message, and a FAILED order may be paid
// again: "Try again" pays the same order through the checkout it was made for (the widget is
// drawn again on checkout.html; a window order reopens Toss's window).
import { ApiError, graphql, payloadOrThrow } from "./api.js";
import { ensureToken } from "./config.js";
import { startCheckout } from "./pay.js";
import { sdkErrorWords } from "./sdk.js";
import { describe, errorText, show, statusOf, won } from "./view.js";

async function start() {
  await ensureToken();
  const query = new URLSearchParams(location.search);
  const orderId = query.get("orderId") || "";
  const code = query.get("code") || "";
  const message = query.get("message") || "";
  show("toss-message", message || code, "error", code);
  let order;
  try {
    ({ order } = payloadOrThrow((await graphql("FailPayment", { orderId, code, message })).failPayment));
  } catch (error) {
    // A repeat of this page finds the order FAILED already: it can still be paid again.
    ({ order } = await graphql("CheckoutOrder", { orderId }));
    if (!order) throw error;
  }
  describe("details", [
    ["Order", order.orderName],
    ["Order number", order.orderId],
    ["Amount", won(order.amount)],
    ["Status", statusOf(order)],
  ]);
  if (order.status !== "FAILED") {
    show("status", "This order has nothing left to pay.");
    return;
  }
  show("status", "Nothing was charged. You can pay this order again.");
  const retry = document.getElementById("retry");
  retry.hidden = false;
  retry.addEventListener("click", async () => {
    retry.disabled = true;
    try {
      await startCheckout(order);
    } catch (error) {
      show("status", error instanceof ApiError ? errorText(error) : sdkErrorWords(error), "error", error.code);
      retry.disabled = false;
    }
  });
}

start().catch((error) => show("status", errorText(error), "error", error.code));
