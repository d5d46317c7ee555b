// Toss sent the buyer back with code, message and orderId. The server records the failure
// (the order becomes FAILED), the page shows Toss's message, and a FAILED order may be paid
// again: "Try again" opens the window for the same order.
import { graphql, payloadOrThrow } from "./api.js";
import { ensureToken } from "./config.js";
import { openPaymentWindow } from "./pay.js";
import { errorText, show } from "./view.js";

async function start() {
  await ensureToken();
  const query = new URLSearchParams(location.search);
  const orderId = query.get("orderId") || "";
  const code = query.get("code") || "";
  const message = query.get("message") || "";
  show("toss-message", message ? `${message} (${code})` : code, "error");
  let order;
  try {
    ({ order } = payloadOrThrow((await graphql("FailPayment", { orderId, code, message })).failPayment));
    show("status", `Order ${order.orderId} is ${order.status}.`);
  } catch (error) {
    // A repeat of this page finds the order FAILED already: it can still be paid again.
    show("status", errorText(error), "error");
    ({ order } = await graphql("FailedOrder", { orderId }));
  }
  if (order && order.status === "FAILED") {
    const retry = document.getElementById("retry");
    retry.hidden = false;
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      try {
        await openPaymentWindow(order);
      } catch (error) {
        show("status", errorText(error), "error");
        retry.disabled = false;
      }
    });
  }
}

start().catch((error) => show("status", errorText(error), "error"));
