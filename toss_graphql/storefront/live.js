// An order followed live (docs/realtime.md): one graphql-transport-ws subscription, whose
// first message is the order as it is and each next one the order after a change. Small
// enough to write out here: the shop has no build step to bring in a client library.
import { ApiError, operation } from "./api.js";
import { loadConfig, token } from "./config.js";

function socketUrl(apiUrl) {
  const url = new URL(apiUrl, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

// Resolves with the first order `isDone` accepts; rejects when the subscription is refused or
// the connection closes first (the caller may then poll instead).
export async function followOrder(orderId, isDone) {
  const [config, query] = await Promise.all([loadConfig(), operation("FollowOrder")]);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(socketUrl(config.apiUrl), "graphql-transport-ws");
    const send = (message) => socket.send(JSON.stringify(message));
    const finish = (settle, value) => {
      socket.onclose = null;
      socket.close(1000);
      settle(value);
    };
    socket.onopen = () => send({ type: "connection_init", payload: { Authorization: `Bearer ${token()}` } });
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        send({ id: "order", type: "subscribe", payload: { query, variables: { orderId } } });
      } else if (message.type === "ping") {
        send({ type: "pong" });
      } else if (message.type === "next" && message.payload.errors) {
        const [first] = message.payload.errors;
        finish(reject, new ApiError(first.message, first.extensions && first.extensions.code));
      } else if (message.type === "next" && isDone(message.payload.data.orderUpdated)) {
        finish(resolve, message.payload.data.orderUpdated);
      } else if (message.type === "error") {
        finish(reject, new ApiError(message.payload[0].message, "INVALID_DOCUMENT"));
      }
    };
    socket.onclose = (event) =>
      reject(new ApiError(`live updates closed (${event.code} ${event.reason || "no reason"})`, "NETWORK"));
  });
}
