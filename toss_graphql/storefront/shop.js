// The shop: pick products, create the order (the server prices it) for the checkout config.json
// names (`checkout`: "widget", the default, or "window"), then pay it there: the widget on
// checkout.html, or Toss's payment window at once.
import { ApiError, graphql, payloadOrThrow } from "./api.js";
import { buyer, ensureToken, loadConfig, useToken } from "./config.js";
import { startCheckout } from "./pay.js";
import { sdkErrorWords } from "./sdk.js";
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
    const config = await loadConfig();
    const checkout = config.checkout === "window" ? "PAYMENT_WINDOW" : "WIDGET";
    const data = await graphql("CreateOrder", { input: { lines, checkout } });
    const { order } = payloadOrThrow(data.createOrder);
    show("status", `Order ${order.orderId}: ${order.orderName}, ${won(order.amount)}. On to the checkout…`, "waiting");
    await startCheckout(order);
  } catch (error) {
    // The API's refusals name their code; Toss's SDK's are put in the shopper's words.
    show("status", error instanceof ApiError ? errorText(error) : sdkErrorWords(error), "error", error.code);
    button.disabled = false;
  }
}

start().catch((error) => show("status", errorText(error), "error"));
