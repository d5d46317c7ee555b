// GraphiQL with the explorer, talking to this page's own /graphql: queries and mutations over
// HTTP, subscriptions over a WebSocket (graphql-transport-ws) that sends the headers editor's
// contents, the Authorization header among them, as its connection_init payload.
//
// A link may carry the editors' first contents in its fragment: `#headers=` (JSON, such as the
// demo buyer's Authorization header `toss-graphql serve` prints), `&query=` and `&variables=`.
// A fragment never reaches the server, so the token stays out of access logs.
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";

import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { getOperationAST, parse } from "graphql";
import { createClient } from "graphql-ws";

const parameters = new URLSearchParams(location.hash.slice(1));
const headers = parameters.get("headers");
const query = parameters.get("query");
const variables = parameters.get("variables");

const endpoint = new URL("/graphql", location.href);
const overHttp = createGraphiQLFetcher({ url: endpoint.href });
const socketUrl = new URL(endpoint);
socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

function isSubscription({ query, operationName }) {
  try {
    return getOperationAST(parse(query), operationName)?.operation === "subscription";
  } catch {
    return false; // the server reports what does not parse
  }
}

// One connection per subscription, opened with the headers of the moment it starts and
// closed when it ends (GraphiQL's stop button ends it).
async function* subscribe(params, headers) {
  const client = createClient({ url: socketUrl.href, connectionParams: headers ?? {}, retryAttempts: 0 });
  try {
    yield* client.iterate(params);
  } finally {
    await client.dispose();
  }
}

const fetcher = (params, options) =>
  isSubscription(params) ? subscribe(params, options?.headers) : overHttp(params, options);

createRoot(document.getElementById("graphiql")).render(
  createElement(GraphiQL, {
    fetcher,
    plugins: [explorerPlugin()],
    ...(headers ? { initialHeaders: headers, defaultEditorToolsVisibility: "headers" } : {}),
    ...(query ? { initialQuery: query } : {}),
    ...(variables ? { initialVariables: variables } : {}),
  }),
);
