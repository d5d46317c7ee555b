// GraphiQL with the explorer, talking to this page's own /graphql.
//
// A link may carry the editors' first contents in its fragment: `#headers=` (JSON, such as the
// demo buyer's Authorization header `toss-graphql serve` prints) and `&query=`. A fragment
// never reaches the server, so the token stays out of access logs.
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";

import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher } from "@graphiql/toolkit";

const parameters = new URLSearchParams(location.hash.slice(1));
const headers = parameters.get("headers");
const query = parameters.get("query");

const fetcher = createGraphiQLFetcher({ url: new URL("/graphql", location.href).href });

createRoot(document.getElementById("graphiql")).render(
  createElement(GraphiQL, {
    fetcher,
    plugins: [explorerPlugin()],
    ...(headers ? { initialHeaders: headers, defaultEditorToolsVisibility: "headers" } : {}),
    ...(query ? { initialQuery: query } : {}),
  }),
);
