// The buyer's orders, with partial and full cancel and the cancel history. Each click on a
// cancel button carries an idempotency key of its own: a double click refunds once.
//
// Toss refunds a card, a transfer, a phone or an easy payment the way it was paid. A virtual
// account paid into is refunded to a bank account the buyer names (refundReceiveAccount); one
// still waiting for its transfer holds no money and is closed whole (docs/toss-api.md §2.4).
import { graphql, payloadOrThrow } from "./api.js";
import { BANKS, bankName } from "./banks.js";
import { buyer, ensureToken } from "./config.js";
import { element, errorText, show, statusOf, won } from "./view.js";

const REFUNDABLE = new Set(["PAID", "PARTIALLY_CANCELED"]);
const ACCOUNT_NUMBER = /^[0-9]{1,20}$/;

// The bank account fields of a deposited virtual account's cancel; `read()` answers the
// account, or throws the words the buyer should read.
function refundAccountFields(order) {
  const bank = element(
    "select",
    { ariaLabel: `Refund bank for ${order.orderId}` },
    element("option", { value: "", textContent: "Bank…" }),
    ...BANKS.map(([code, name]) => element("option", { value: code, textContent: name })),
  );
  const accountNumber = element("input", {
    inputMode: "numeric", maxLength: 30, placeholder: "Account number", autocomplete: "off",
    ariaLabel: `Refund account number for ${order.orderId}`,
  });
  const holderName = element("input", {
    maxLength: 60, placeholder: "Holder", autocomplete: "off",
    ariaLabel: `Refund account holder for ${order.orderId}`,
  });
  const fields = element(
    "fieldset", { className: "refund" },
    element("legend", { textContent: "Refund to" }), bank, accountNumber, holderName,
  );
  const read = () => {
    const account = {
      bank: bank.value,
      accountNumber: accountNumber.value.replace(/[\s-]/g, ""),
      holderName: holderName.value.trim(),
    };
    if (!account.bank) throw new Error("Choose the bank to refund to.");
    if (!ACCOUNT_NUMBER.test(account.accountNumber)) {
      throw new Error("Enter the account number to refund to: digits only, at most 20.");
    }
    if (!account.holderName) throw new Error("Enter the name the account is held in.");
    return account;
  };
  return { fields, read };
}

function cancelCell(order) {
  const waiting = order.status === "WAITING_FOR_DEPOSIT";
  if (!waiting && !REFUNDABLE.has(order.status)) return element("td");
  // A virtual account still waiting for its transfer is closed whole: no amount to choose.
  const amount = waiting ? null : element("input", {
    type: "number", min: "1", placeholder: "all", ariaLabel: `Amount to cancel of ${order.orderId}`,
  });
  const deposited = !waiting && order.payment && order.payment.virtualAccount;
  const account = deposited ? refundAccountFields(order) : null;
  const button = element("button", { type: "button", textContent: "Cancel" });
  button.dataset.orderId = order.orderId;
  button.addEventListener("click", async () => {
    let refundReceiveAccount = null;
    try {
      if (account) refundReceiveAccount = account.read();
    } catch (error) {
      show("status", error.message, "error");
      return;
    }
    button.disabled = true;
    const variables = {
      buyer: buyer(),
      orderName: order.orderName,
      orderId: order.orderId,
      reason: "Canceled in the demo shop",
      amount: amount && amount.value ? Number(amount.value) : null,
      // One key per click: a retry of this click is answered, never refunded twice.
      idempotencyKey: crypto.randomUUID(),
      refundReceiveAccount,
    };
    try {
      const { cancel } = payloadOrThrow((await graphql("CancelPayment", variables)).cancelPayment);
      if (cancel) {
        const to = refundReceiveAccount ? `, refunded to the ${bankName(refundReceiveAccount.bank)} account` : "";
        show("status", `Canceled ${won(cancel.cancelAmount)} of ${order.orderId}${to}.`, "ok");
      } else {
        // A virtual account closed before any transfer: no money moved, so no cancel is kept.
        show("status", `Canceled ${order.orderId}: its virtual account is closed, nothing had been paid into it.`, "ok");
      }
    } catch (error) {
      // The row stays as the buyer left it (an amount, an account typed), to be corrected.
      show("status", errorText(error), "error", error.code);
      button.disabled = false;
      return;
    }
    await refresh();
  });
  return element("td", {}, ...[amount, account && account.fields, button].filter(Boolean));
}

async function refresh() {
  const data = await graphql("MyOrders");
  const rows = data.orders.edges.map(({ node: order }) =>
    element(
      "tr",
      { id: `order-${order.orderId}` },
      element("td", { textContent: `${order.orderName} (${order.orderId})` }),
      element("td", {}, statusOf(order)),
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
