// The shop: pick products, create the order (the server prices it), open Toss's window.
import { graphql, payloadOrThrow } from "./api.js";
import { buyer, ensureToken, loadConfig, useToken } from "./config.js";
import { openPaymentWindow } from "./pay.js";
import { element, errorText, show, won } from "./view.js";

async function start() {
  const config = await loadConfig();
  await ensureToken();
  document.getElementById("buyer").textContent = buyer() || "(no token)";
  const list = document.getElementById("products");
  for (const product of config.catalog) {
    const quantity = element("input", {
      type: "number", min: "0", max: "99", value: "0", name: product.sku,
      ariaLabel: `${product.name} quantity`,
    });
    list.append(element("li", {}, element("span", { textContent: `${product.name} · ${won(product.price)}` }), quantity));
  }
  document.getElementById("order").addEventListener("click", order);
  document.getElementById("use-token").addEventListener("click", () => {
    useToken(document.getElementById("token").value);
    document.getElementById("buyer").textContent = buyer() || "(no token)";
  });
}

async function order() {
  const lines = [...document.querySelectorAll("#products input")]
    .map((input) => ({ sku: input.name, quantity: Number(input.value) }))
    .filter((line) => line.quantity > 0);
  if (!lines.length) {
    show("status", "Pick at least one product.", "error");
    return;
  }
  const button = document.getElementById("order");
  button.disabled = true;
  try {
    const data = await graphql("CreateOrder", { input: { lines } });
    const { order } = payloadOrThrow(data.createOrder);
    show("status", `Order ${order.orderId}: ${order.orderName}, ${won(order.amount)}. Opening Toss's payment window…`);
    await openPaymentWindow(order);
  } catch (error) {
    show("status", errorText(error), "error");
    button.disabled = false;
  }
}

start().catch((error) => show("status", errorText(error), "error"));
