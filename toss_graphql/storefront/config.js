// Where the API, the Toss SDK and the buyer's token come from. `config.json` sits beside the
// pages: the API writes it in development (/demo/config.json); a static deployment ships its
// own. A token pasted on the shop page replaces the demo buyer's for this browser tab.
const TOKEN_KEY = "toss-graphql-storefront-token";
let loaded = null;

export function loadConfig() {
  if (!loaded) {
    loaded = fetch(new URL("config.json", import.meta.url)).then((response) => {
      if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
      return response.json();
    });
  }
  return loaded;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function useToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

export async function ensureToken() {
  if (!token()) {
    const config = await loadConfig();
    if (config.demoToken) useToken(config.demoToken);
  }
  return token();
}

// The key Toss's SDK knows this buyer by (`customerKey`). Toss asks for a random value, never
// one that can be guessed (an id, an e-mail, a phone number): one is made per buyer and kept in
// this browser. getRandomValues, unlike randomUUID, works on a plain-http deployment too.
export function customerKey() {
  const key = `toss-graphql-storefront-customer-key:${buyer()}`;
  let value = localStorage.getItem(key);
  if (!value) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    value = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(key, value);
  }
  return value;
}

// The buyer the token names (its `sub`), for cancelPayment's `buyer` argument.
export function buyer() {
  try {
    const payload = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).sub || "";
  } catch (_) {
    return "";
  }
}
