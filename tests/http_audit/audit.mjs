// Runs graphql-http's server audits against the URL given, and prints one JSON line per
// audit: {id, name, status, reason?, status code, content type, body}. The Python test reads it.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs <url of /graphql>");
  process.exit(2);
}
for (const result of await auditServer({ url })) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    line.reason = result.reason;
    line.response = {
      status: result.response.status,
      contentType: result.response.headers.get("content-type"),
      body: (await result.response.text()).slice(0, 300),
    };
  }
  console.log(JSON.stringify(line));
}
