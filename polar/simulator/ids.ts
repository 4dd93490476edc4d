import { createHash } from "node:crypto";

/** Formats 32 hex digits as a UUID version 4 (Polar validates path ids as UUID4). */
function formatUuid4(hex: string): string {
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A UUID derived from a name: the same name always gives the same id, across restarts. */
export function stableUuid(name: string): string {
  return formatUuid4(sha256Hex(name));
}

/**
 * Ids of lazily generated events: a per-series prefix plus the event's index in the last group,
 * so an id can be mapped back to its event without storing it.
 */
export function seriesIdPrefix(seriesName: string): string {
  return stableUuid(`series:${seriesName}`).slice(0, 24);
}

export function seriesEventId(prefix: string, index: number): string {
  return `${prefix}${index.toString(16).padStart(12, "0")}`;
}

export function seriesIndexFromId(prefix: string, id: string): number | null {
  if (!id.startsWith(prefix) || id.length !== 36) return null;
  const tail = id.slice(24);
  if (!/^[0-9a-f]{12}$/.test(tail)) return null;
  return Number.parseInt(tail, 16);
}

export const UUID4_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const UUID_PATTERN = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A client secret / token-like string derived from a name. */
export function stableSecret(name: string, length = 48): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = createHash("sha512").update(name).digest();
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

export function gravatarUrl(email: string): string {
  return `https://www.gravatar.com/avatar/${sha256Hex(email.trim().toLowerCase())}?d=404`;
}
