// Subscribes with the graphql-ws client, as a JavaScript app does: the document is parsed and
// printed by graphql-js before it is sent. Prints the first result as one JSON line, then the
// text it sent, and closes. The Python test reads both.
import { parse, print } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, request] = process.argv.slice(2);
if (!url || !request) {
  console.error("usage: node graphql_ws_client.mjs <ws url of /graphql> <JSON {token, query, variables}>");
  process.exit(2);
}
const { token, query, variables } = JSON.parse(request);
const sent = print(parse(query));

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
try {
  const subscription = client.iterate({ query: sent, variables });
  const first = await subscription.next();
  console.log(JSON.stringify({ result: first.value ?? null, sent }));
  await subscription.return();
} catch (error) {
  // graphql-ws rejects with the `error` message's payload, or the socket's close event.
  const reason = Array.isArray(error) ? error : { code: error.code, reason: error.reason };
  console.log(JSON.stringify({ error: reason, sent }));
} finally {
  await client.dispose();
}
