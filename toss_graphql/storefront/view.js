// Small helpers the pages share: text into the page (never HTML), money, times, statuses.

// `kind`: "ok", "error", or "waiting" (a spinner: something is still under way).
export function show(id, text, kind = "", code = "") {
  const element = document.getElementById(id);
  element.textContent = text;
  element.className = kind;
  element.hidden = text === "";
  // The API's or Toss's code, for a developer and the tests; the shopper reads the words.
  if (code) element.dataset.code = code;
  else delete element.dataset.code;
}

export function won(amount) {
  return `${Number(amount).toLocaleString("ko-KR")}원`;
}

export function element(tag, properties = {}, ...children) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}

export function errorText(error) {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

// Fills the <dl> `id` with the [label, value] rows that have a value (a string or an element):
// a row with nothing to show is left out, never drawn empty. No row at all hides the list.
export function describe(id, rows) {
  const list = document.getElementById(id);
  const shown = rows.filter(([, value]) => value || value === 0);
  list.replaceChildren(
    ...shown.flatMap(([label, value]) => [element("dt", { textContent: label }), element("dd", {}, value)]),
  );
  list.hidden = shown.length === 0;
}

const STATUS_WORDS = {
  PENDING: "Not paid yet",
  CONFIRMING: "Being confirmed",
  WAITING_FOR_DEPOSIT: "Waiting for your transfer",
  PAID: "Paid",
  FAILED: "Payment failed",
  PARTIALLY_CANCELED: "Partly refunded",
  CANCELED: "Canceled",
};

// An order's status as a shopper reads it; the API's own word stays in `data-status`.
export function statusOf(order) {
  const words = element("span", { textContent: STATUS_WORDS[order.status] || order.status, className: "order-status" });
  words.dataset.status = order.status;
  return words;
}

const KST = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

// A time in Korea's, as Toss's are: an instant with its offset, or Toss's KST wall time with
// none (a virtual account's dueDate).
export function kst(text) {
  if (!text) return "";
  const wall = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/.exec(text);
  if (wall) return `${wall[1]} ${wall[2]} KST`;
  const parts = Object.fromEntries(KST.formatToParts(new Date(text)).map(({ type, value }) => [type, value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} KST`;
}
