// One order's checkout, through the checkout it was created for: Toss's payment widget drawn
// here at the amount the server set (never one the page computes), or a button into Toss's
// payment window. The shop sends a new order here, the fail page a FAILED one to be paid again,
// README an order made by hand (checkout.html?orderId=…).
import { graphql } from "./api.js";
import { buyer, ensureToken } from "./config.js";
import { openPaymentWindow, renderWidget } from "./pay.js";
import { sdkErrorWords } from "./sdk.js";
import { describe, errorText, show, statusOf, won } from "./view.js";

const PAYABLE = new Set(["PENDING", "FAILED"]);

// How the buyer pays `order`: a function of the buyer's name that leaves for Toss's window, or
// rejects with Toss's code.
async function checkoutFor(order) {
  const pay = document.getElementById("pay");
  if (order.checkout !== "WIDGET") {
    pay.textContent = `Pay ${won(order.amount)} in Toss's window`;
    return (customerName) => openPaymentWindow(order, customerName);
  }
  const widget = await renderWidget(order);
  widget.onAgreement(({ agreedRequiredTerms }) => {
    if (agreedRequiredTerms) show("sdk-error", "");
  });
  pay.textContent = `Pay ${won(order.amount)}`;
  return (customerName) => widget.pay(customerName);
}

async function start() {
  await ensureToken();
  const orderId = new URLSearchParams(location.search).get("orderId") || "";
  if (!orderId) {
    show("status", "There is no order to pay here: pick products in the shop first.", "error");
    return;
  }
  const { order } = await graphql("CheckoutOrder", { orderId });
  if (!order) {
    show("status", `Order ${orderId} is not one of your orders.`, "error");
    return;
  }
  describe("order", [
    ["Order", order.orderName],
    ["Order number", order.orderId],
    ["Amount", won(order.amount)],
    ["Status", statusOf(order)],
  ]);
  if (!PAYABLE.has(order.status)) {
    show("status", "This order has nothing left to pay.");
    return;
  }
  let request;
  try {
    request = await checkoutFor(order);
  } catch (error) {
    show("status", sdkErrorWords(error), "error", error.code);
    return;
  }
  const failure = order.status === "FAILED" && order.failure;
  show("status", failure ? `The last attempt did not go through (${failure.message}). You can pay again below.` : "");
  const form = document.getElementById("checkout");
  const name = document.getElementById("customer-name");
  const pay = document.getElementById("pay");
  name.value = buyer();
  form.hidden = false;
  pay.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    pay.disabled = true;
    show("sdk-error", "");
    try {
      // Resolves, if at all, as the browser leaves for Toss's window.
      await request(name.value.trim());
    } catch (error) {
      show("sdk-error", sdkErrorWords(error), "error", error.code);
      pay.disabled = false;
    }
  });
}

start().catch((error) => show("status", errorText(error), "error", error.code));
