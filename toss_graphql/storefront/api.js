// The storefront's one way to the API: a GraphQL POST with the buyer's bearer token. Every
// answer is checked: a refused request, a GraphQL error or a typed payload error becomes an
// exception whose message the page shows.
//
// The documents are the files of operations/, sent as they are written there: the same files
// `toss-graphql trusted-documents` builds a manifest from, so the shop works against an API that
// runs trusted documents only (docs/http.md).
import { loadConfig, token } from "./config.js";

const documents = new Map();

// The text of operations/<name>.graphql, fetched once.
export function operation(name) {
  if (!documents.has(name)) {
    const url = new URL(`operations/${name}.graphql`, import.meta.url);
    documents.set(
      name,
      fetch(url).then((response) => {
        if (!response.ok) throw new ApiError(`${url}: HTTP ${response.status}`, "NETWORK");
        return response.text();
      }),
    );
  }
  return documents.get(name);
}

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function graphql(name, variables = {}) {
  const [config, query] = await Promise.all([loadConfig(), operation(name)]);
  let response;
  try {
    response = await fetch(config.apiUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${token()}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    // A network failure, or a cross-origin call the API's CORS_ORIGINS does not allow.
    throw new ApiError(`The API at ${config.apiUrl} could not be reached (${error.message})`, "NETWORK");
  }
  const body = await response.json().catch(() => null);
  if (!body || (body.errors && body.errors.length)) {
    const first = body && body.errors && body.errors[0];
    throw new ApiError(first ? first.message : `HTTP ${response.status}`, first && first.extensions && first.extensions.code);
  }
  return body.data;
}

// A mutation payload's typed errors (`errors { code message }`) as an exception.
export function payloadOrThrow(payload) {
  if (payload.errors && payload.errors.length) {
    const [first] = payload.errors;
    throw new ApiError(first.message, first.code);
  }
  return payload;
}
