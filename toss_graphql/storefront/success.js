// Toss sent the buyer back with paymentKey, orderId and amount. The server confirms them: it
// checks the amount against the stored order, so an edited address only earns AMOUNT_MISMATCH.
// The page then reads as a shopper expects: paid, with what a receipt shows; waiting (a spinner
// and plain words) while Toss's answer or a transfer into a virtual account is awaited, the
// order followed live until it settles; or refused, with the reason and the order concerned.
import { graphql } from "./api.js";
import { bankName } from "./banks.js";
import { ensureToken } from "./config.js";
import { followOrder } from "./live.js";
import { checkoutPage } from "./pay.js";
import { describe, element, kst, show, statusOf, won } from "./view.js";

// Statuses that still change without the buyer: Toss's answer is awaited, or a transfer.
const UNSETTLED = new Set(["CONFIRMING", "WAITING_FOR_DEPOSIT"]);
const PAYABLE = new Set(["PENDING", "FAILED"]);
// The confirm's outcome is not known yet; the order settles later (a webhook, the reconciler).
const STILL_CONFIRMING = new Set(["PAYMENT_PENDING", "CONFIRM_IN_PROGRESS"]);

function installments(card) {
  const months = card.installmentPlanMonths;
  if (months === null || months === undefined) return "";
  return months === 0 ? "Lump sum" : `${months} months`;
}

function receiptLink(payment) {
  const url = payment.receiptUrl || (payment.mobilePhone && payment.mobilePhone.receiptUrl);
  return url && element("a", { href: url, target: "_blank", rel: "noopener", textContent: "View receipt" });
}

function orderRows(order) {
  return [
    ["Order", order.orderName],
    ["Order number", order.orderId],
    ["Amount", won(order.amount)],
    ["Status", statusOf(order)],
  ];
}

// What a receipt shows: the method, and the card, service, bank or phone that paid.
function paymentRows(payment) {
  if (!payment) return [];
  const { card, easyPay, transfer, mobilePhone, virtualAccount } = payment;
  return [
    ["Method", payment.method],
    ["Card", card && [card.company, card.number].filter(Boolean).join(" ")],
    ["Installments", card && installments(card)],
    ["Easy pay", easyPay && easyPay.provider],
    ["Discount", easyPay && easyPay.discountAmount > 0 && won(easyPay.discountAmount)],
    ["Bank", transfer && (transfer.bank || bankName(transfer.bankCode))],
    ["Phone", mobilePhone && mobilePhone.customerMobilePhone],
    ["Account", virtualAccount && `${bankName(virtualAccount.bankCode)} ${virtualAccount.accountNumber}`.trim()],
    ["Approved", kst(payment.approvedAt)],
    ["Receipt", receiptLink(payment)],
  ];
}

function statusLine(order) {
  const account = order.payment && order.payment.virtualAccount;
  switch (order.status) {
    case "PAID":
      return ["Paid.", "ok"];
    case "WAITING_FOR_DEPOSIT": {
      const by = account && account.dueDate ? ` by ${kst(account.dueDate)}` : "";
      return [`Almost done: transfer ${won(order.amount)} to the account below${by}. This page turns to paid as soon as the money arrives.`, "waiting"];
    }
    case "CONFIRMING":
      return ["Toss has not answered yet. We keep checking and this page updates by itself: please do not pay again.", "waiting"];
    case "FAILED":
      return [`The payment did not go through${order.failure ? ` (${order.failure.message})` : ""}. Nothing was charged.`, "error"];
    case "PARTIALLY_CANCELED":
      return ["Paid, and partly refunded since.", "ok"];
    case "CANCELED":
      return ["This order was canceled.", ""];
    default:
      return ["This order is not paid yet.", ""];
  }
}

function offerPayAgain(order) {
  const payable = Boolean(order) && PAYABLE.has(order.status);
  document.getElementById("next").hidden = !payable;
  if (payable) document.getElementById("pay-again").href = checkoutPage(order);
}

function showOrder(order) {
  const account = order.status === "WAITING_FOR_DEPOSIT" && order.payment && order.payment.virtualAccount;
  document.getElementById("deposit").hidden = !account;
  if (account) {
    describe("account", [
      ["Bank", bankName(account.bankCode)],
      ["Account number", account.accountNumber],
      ["Amount", won(order.amount)],
      ["Pay by", kst(account.dueDate)],
      ["Issued to", account.customerName],
    ]);
  }
  const payment = account ? { ...order.payment, virtualAccount: null } : order.payment;
  describe("details", [...orderRows(order), ...paymentRows(payment)]);
  show("status", ...statusLine(order));
  offerPayAgain(order);
}

// Why the server said no, in the shopper's words; `order` is the order as it reads now.
function refusalWords(error, order, sentAmount) {
  switch (error.code) {
    case "AMOUNT_MISMATCH":
      return `The amount in this page's address (${won(sentAmount)}) is not the order's amount${order ? ` (${won(order.amount)})` : ""}, so the payment was not confirmed. Nothing was charged.`;
    case "ALREADY_PAID":
      return "This order was already paid by another payment; nothing more was charged.";
    case "PAYMENT_REJECTED":
      return `Toss did not accept the payment (${error.message}). Nothing was charged.`;
    case "GATEWAY_UNAVAILABLE":
      return "Toss could not be reached, so the payment was not confirmed and nothing was charged. Try again in a moment.";
    case "INVALID_STATE":
      return "This order can no longer be paid.";
    case "ORDER_NOT_FOUND":
      return "This order is not one of your orders.";
    case "UNAUTHENTICATED":
    case "FORBIDDEN":
      return "You are not signed in as the buyer of this order.";
    case "INVALID_INPUT":
      return "The payment details in this page's address are incomplete or wrong, so nothing was confirmed.";
    case "RATE_LIMITED":
      return "Too many attempts at once. Wait a minute, then reload this page.";
    case "NETWORK":
      return "The shop could not be reached. Check your connection, then reload this page.";
    default:
      return error.message;
  }
}

async function showRefusal(error, orderId, sentAmount) {
  let order = null;
  if (orderId && error.code !== "NETWORK") {
    order = await graphql("SettledOrder", { orderId }).then((data) => data.order, () => null);
  }
  describe("details", order ? [...orderRows(order), ...paymentRows(order.payment)] : [["Order number", orderId]]);
  const kind = error.code === "ALREADY_PAID" ? "" : "error";
  show("status", refusalWords(error, order, sentAmount), kind, error.code);
  offerPayAgain(order);
}

async function start() {
  await ensureToken();
  const query = new URLSearchParams(location.search);
  const variables = {
    paymentKey: query.get("paymentKey") || "",
    orderId: query.get("orderId") || "",
    amount: Number(query.get("amount") || Number.NaN),
  };
  if (!variables.paymentKey || !variables.orderId || !Number.isInteger(variables.amount)) {
    await showRefusal({ code: "INVALID_INPUT" }, variables.orderId, variables.amount);
    return;
  }
  let payload;
  try {
    payload = (await graphql("ConfirmPayment", variables)).confirmPayment;
  } catch (error) {
    await showRefusal(error, variables.orderId, variables.amount);
    return;
  }
  const [refusal] = payload.errors;
  if (refusal && !STILL_CONFIRMING.has(refusal.code)) {
    await showRefusal(refusal, variables.orderId, variables.amount);
    return;
  }
  if (refusal) {
    describe("details", [["Order number", variables.orderId]]);
    show("status", statusLine({ status: "CONFIRMING" })[0], "waiting", refusal.code);
  } else {
    showOrder(payload.order);
    if (!UNSETTLED.has(payload.order.status)) return;
  }
  try {
    await followOrder(variables.orderId, { isDone: (order) => !UNSETTLED.has(order.status), onOrder: showOrder });
  } catch (error) {
    await showRefusal(error, variables.orderId, variables.amount);
  }
}

start().catch((error) => show("status", refusalWords(error, null, 0), "error", error.code));
