/**
 * `API_KEYS` entries: `tenant=key` (named after its tenant, role approver — keys from before
 * roles keep working) or `tenant:name:role=key`. A bad entry stops the service with a message
 * naming the entry by its position and its part before `=`, never the key.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Actor, ROLES, type Role } from "../lib/actor.ts";

export interface ApiKey extends Actor {
  key: string;
}

const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;
const NAME = /^[a-z0-9_-]{1,40}$/;
const MIN_KEY_LENGTH = 16;

export class ApiKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiKeysError";
  }
}

export function parseApiKeys(raw: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = raw.split(",");
  entries.forEach((entry, index) => {
    const equals = entry.indexOf("=");
    const who = (equals === -1 ? "" : entry.slice(0, equals)).trim();
    const key = (equals === -1 ? entry : entry.slice(equals + 1)).trim();
    const where = `API_KEYS entry ${index + 1}${who ? ` (${who})` : ""}`;
    if (equals === -1 || who === "" || key === "" || key.includes("=")) {
      throw new ApiKeysError(
        `${where} must look like tenant=key or tenant:name:role=key (role: ${ROLES.join(" or ")})`,
      );
    }
    const parts = who.split(":");
    if (parts.length !== 1 && parts.length !== 3) {
      throw new ApiKeysError(`${where} must name tenant, or tenant:name:role, before the =`);
    }
    const [tenant, name = tenant, role = "approver"] = parts.map((part) => part.trim());
    if (!TENANT.test(tenant!))
      throw new ApiKeysError(`${where}: the tenant may hold letters, digits, _ . - (at most 64)`);
    if (parts.length === 3 && !NAME.test(name!)) {
      throw new ApiKeysError(`${where}: the name must match [a-z0-9_-]{1,40}`);
    }
    if (!(ROLES as readonly string[]).includes(role!)) {
      throw new ApiKeysError(`${where}: the role must be ${ROLES.join(" or ")}, not "${role}"`);
    }
    if (key.length < MIN_KEY_LENGTH) {
      throw new ApiKeysError(`${where}: the key must be at least ${MIN_KEY_LENGTH} characters`);
    }
    if (keys.some((other) => other.tenant === tenant && other.name === name)) {
      throw new ApiKeysError(`${where}: tenant ${tenant} already has a key named ${name}`);
    }
    if (keys.some((other) => other.key === key)) {
      throw new ApiKeysError(`${where}: the same key is given to another entry`);
    }
    keys.push({ tenant: tenant!, name: name!, role: role as Role, key });
  });
  return keys;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * The configured keys, matched in constant time over their hashes: every key is compared, so
 * the time taken does not depend on which key (if any) matched.
 */
export class KeyRing {
  readonly #keys: { actor: Actor; digest: Buffer }[];

  constructor(keys: readonly ApiKey[]) {
    this.#keys = keys.map(({ key, ...actor }) => ({
      actor: Object.freeze(actor),
      digest: digest(key),
    }));
  }

  /** Who the presented key is, or null. */
  match(presented: string): Actor | null {
    const hash = digest(presented);
    let found: Actor | null = null;
    for (const key of this.#keys) {
      if (timingSafeEqual(key.digest, hash) && found === null) found = key.actor;
    }
    return found;
  }
}
