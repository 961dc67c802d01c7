// Whether the current credentials hold the admin scope, asked once per token.

import { api, token } from "./api.js";

const known = new Map();

/** True when an admin-only read succeeds (403 means the scope is missing). */
export async function hasAdmin() {
  const key = token();
  if (!known.has(key)) {
    try {
      await api("GET", "api/v1/admin/breakers", { quiet: true });
      known.set(key, true);
    } catch {
      known.set(key, false);
    }
  }
  return known.get(key);
}
