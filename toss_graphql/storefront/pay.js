// Toss's two checkouts, called through Toss's own browser SDK (v2) as Toss's samples call them:
// the payment widget (결제위젯, `widgets()`, the widget client key) drawn into checkout.html, and
// the payment window (`payment()`, the API client key). An order is created for one of them
// (`Order.checkout`) and must be paid through it: Toss confirms a payment only with the secret
// key of the checkout that started it.
import { customerKey, loadConfig } from "./config.js";
import { loadSdk } from "./sdk.js";

function returnUrls() {
  return {
    successUrl: new URL("success.html", location.href).href,
    failUrl: new URL("fail.html", location.href).href,
  };
}

// The page that pays `order` through the checkout it was made for.
export function checkoutPage(order) {
  const url = new URL("checkout.html", location.href);
  url.search = new URLSearchParams({ orderId: order.orderId }).toString();
  return url.href;
}

// From the shop or a retry: the widget's page, or straight into Toss's window.
export async function startCheckout(order) {
  if (order.checkout === "WIDGET") {
    location.assign(checkoutPage(order));
  } else {
    await openPaymentWindow(order);
  }
}

// Opens the window for `order` ({ orderId, orderName, amount }); the browser leaves the page
// for it and comes back to success.html or fail.html.
export async function openPaymentWindow(order, customerName) {
  const config = await loadConfig();
  const TossPayments = await loadSdk(config.sdkUrl);
  const payment = TossPayments(config.clientKey).payment({ customerKey: customerKey() });
  await payment.requestPayment({
    method: "CARD",
    amount: { currency: "KRW", value: order.amount },
    orderId: order.orderId,
    orderName: order.orderName,
    ...returnUrls(),
    ...(customerName ? { customerName } : {}),
  });
}

// Draws the widget for `order` into #payment-method and #agreement, at the amount the server
// set. Resolves with what the page needs: `pay(customerName)` (the browser leaves for Toss's
// window, or the Promise rejects with Toss's code) and `onAgreement(callback)`.
export async function renderWidget(order) {
  const config = await loadConfig();
  const TossPayments = await loadSdk(config.sdkUrl);
  const widgets = TossPayments(config.widgetClientKey).widgets({ customerKey: customerKey() });
  // The amount comes first: Toss draws the methods that can pay it.
  await widgets.setAmount({ currency: "KRW", value: order.amount });
  const [, agreement] = await Promise.all([
    widgets.renderPaymentMethods({ selector: "#payment-method", variantKey: "DEFAULT" }),
    widgets.renderAgreement({ selector: "#agreement", variantKey: "AGREEMENT" }),
  ]);
  return {
    pay: (customerName) =>
      widgets.requestPayment({
        orderId: order.orderId,
        orderName: order.orderName,
        ...returnUrls(),
        ...(customerName ? { customerName } : {}),
      }),
    onAgreement: (callback) => agreement.on("agreementStatusChange", callback),
  };
}
