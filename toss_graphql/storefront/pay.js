// Toss's payment window through Toss's own browser SDK (v2), as a real integration calls it.
// In development the SDK is the sandbox's, at Toss's path; in production, Toss's script.
import { loadConfig } from "./config.js";

let sdk = null;

function loadSdk(url) {
  if (!sdk) {
    sdk = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.TossPayments);
      script.onerror = () => reject(new Error(`Toss's SDK could not be loaded from ${url}`));
      document.head.append(script);
    });
  }
  return sdk;
}

// Opens the window for `order` ({ orderId, orderName, amount }); the browser leaves the page
// for it and comes back to success.html or fail.html.
export async function openPaymentWindow(order) {
  const config = await loadConfig();
  const TossPayments = await loadSdk(config.sdkUrl);
  const payment = TossPayments(config.clientKey).payment({ customerKey: TossPayments.ANONYMOUS });
  await payment.requestPayment({
    method: "CARD",
    amount: { currency: "KRW", value: order.amount },
    orderId: order.orderId,
    orderName: order.orderName,
    successUrl: new URL("success.html", location.href).href,
    failUrl: new URL("fail.html", location.href).href,
  });
}
