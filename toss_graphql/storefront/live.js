// An order followed live (docs/realtime.md) over one graphql-transport-ws subscription, whose
// first message is the order as it is and each next one the order after a change; and polled
// with the `order` query whenever live updates cannot be had: the socket does not open or is
// lost, the server refuses or ends the subscription, answers an error, or falls silent.
// Polling is slower, never wrong: each answer is the whole order, as each live message is, and
// an error that is the order's own (not found, not this buyer's) comes back from the query.
// Small enough to write out here: the shop has no build step to bring in a client library.
import { ApiError, graphql, operation } from "./api.js";
import { loadConfig, token } from "./config.js";

// connection_ack and the first `next` must come this soon after the socket is asked for.
const FIRST_ANSWER_MS = 5_000;
// The server pings every 15 s (SUBSCRIPTION_KEEPALIVE_SECONDS): three beats missed is a lost
// connection, though the socket may not have noticed yet.
const SILENCE_MS = 45_000;
const POLL_FIRST_MS = 2_000;
const POLL_LONGEST_MS = 15_000;

function socketUrl(apiUrl) {
  const url = new URL(apiUrl, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

function firstError(errors, fallback) {
  const [first] = Array.isArray(errors) ? errors : [];
  return first && first.message ? first.message : fallback;
}

// Resolves with { order } once an order `isDone` accepts arrives, or with { lost: why } when
// live updates stop first. Never rejects: whatever goes wrong, the caller polls.
function followLive(apiUrl, query, orderId, isDone, onOrder) {
  return new Promise((resolve) => {
    let socket;
    try {
      socket = new WebSocket(socketUrl(apiUrl), "graphql-transport-ws");
    } catch (error) {
      resolve({ lost: `the socket could not be opened: ${error.message}` });
      return;
    }
    let timer = null;
    let answered = false;
    const end = (outcome) => {
      clearTimeout(timer);
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
        socket.close(1000);
      }
      resolve(outcome);
    };
    const expectWithin = (ms, what) => {
      clearTimeout(timer);
      timer = setTimeout(() => end({ lost: `no ${what} within ${ms / 1000} s` }), ms);
    };
    const send = (message) => socket.send(JSON.stringify(message));
    expectWithin(FIRST_ANSWER_MS, "answer");
    socket.onopen = () => send({ type: "connection_init", payload: { Authorization: `Bearer ${token()}` } });
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        end({ lost: "the server sent a message that is not JSON" });
        return;
      }
      if (answered) expectWithin(SILENCE_MS, "message");
      if (message.type === "connection_ack") {
        send({ id: "order", type: "subscribe", payload: { query, variables: { orderId } } });
      } else if (message.type === "ping") {
        send({ type: "pong" });
      } else if (message.type === "next") {
        const payload = message.payload || {};
        const order = payload.data && payload.data.orderUpdated;
        if (!order) {
          end({ lost: `the server answered an error: ${firstError(payload.errors, "no order")}` });
          return;
        }
        answered = true;
        expectWithin(SILENCE_MS, "message");
        onOrder(order);
        if (isDone(order)) end({ order });
      } else if (message.type === "error") {
        end({ lost: `the server refused the subscription: ${firstError(message.payload, "no reason")}` });
      } else if (message.type === "complete") {
        end({ lost: "the server ended the subscription" });
      }
    };
    socket.onclose = (event) => end({ lost: `the socket closed: ${event.code} ${event.reason || "no reason"}` });
  });
}

async function poll(orderId, isDone, onOrder) {
  let wait = POLL_FIRST_MS;
  for (;;) {
    try {
      const { order } = await graphql("SettledOrder", { orderId });
      if (!order) throw new ApiError(`order ${orderId} not found`, "ORDER_NOT_FOUND");
      onOrder(order);
      if (isDone(order)) return order;
    } catch (error) {
      // The network comes and goes; anything else (the order is not this buyer's, the token
      // expired) will not change by asking again.
      if (error.code !== "NETWORK") throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 1.5, POLL_LONGEST_MS);
  }
}

// Calls `onOrder` with the order as it is and after each change, and resolves with the first
// order `isDone` accepts. Rejects only with an error of the order itself (ApiError).
export async function followOrder(orderId, { isDone, onOrder = () => {} }) {
  const [config, query] = await Promise.all([loadConfig(), operation("FollowOrder")]);
  const live = await followLive(config.apiUrl, query, orderId, isDone, onOrder);
  if (live.order) return live.order;
  console.warn(`Live updates of order ${orderId} stopped (${live.lost}); polling the order instead.`);
  return poll(orderId, isDone, onOrder);
}
