// GraphiQL, built into the Python package's static folder, which the API serves at /graphiql/
// in development (toss_graphql/web/graphiql.py). Nothing is loaded from another host.
import { fileURLToPath } from "node:url";

export default {
  root: fileURLToPath(new URL("./graphiql", import.meta.url)),
  base: "/graphiql/",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../toss_graphql/static/graphiql", import.meta.url)),
    emptyOutDir: true,
    // Monaco and GraphiQL are large by nature; the page is a development tool.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      // GraphiQL's dependencies mark modules "use client" for React server components, a
      // directive that means nothing in a browser bundle.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
};
