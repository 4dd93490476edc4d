/**
 * Opaque list cursors for tools: base64url JSON holding the filters of the first call, the page
 * size, the next page and the end of the time window pinned at the first call — so a model can
 * continue with the cursor alone, across replicas, and later events do not shift the pages.
 */
import { z } from "zod";
import { ToolArgumentsError } from "./errors.ts";

const CursorPayload = z.strictObject({
  /** The tool the cursor belongs to. */
  t: z.string(),
  /** The filters, as the first call gave them. */
  f: z.record(z.string(), z.unknown()),
  /** Page size. */
  l: z.int().min(1).max(100),
  /** Next page to read (1-based). */
  p: z.int().min(2),
  /** End of the window pinned at the first call (ISO), when the caller gave none. */
  e: z.string().optional(),
});
export type CursorPayload = z.infer<typeof CursorPayload>;

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

/** The payload, or null when the text is not a cursor this tool issued. */
export function decodeCursor(tool: string, cursor: string): CursorPayload | null {
  try {
    const parsed = CursorPayload.safeParse(
      JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")),
    );
    return parsed.success && parsed.data.t === tool ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Canonical JSON (sorted keys), to compare the filters of a continued call with the first's. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Where a list call starts: the first page with the filters given, or — with a cursor — where
 * the previous call stopped, with its filters (repeating them is allowed, changing them is not).
 */
export function continueFrom<F extends Record<string, unknown>>(
  tool: string,
  cursor: string | undefined,
  given: F,
  limit: number,
): { filters: F; page: number; pageSize: number; pinnedEnd?: string } {
  if (cursor === undefined) return { filters: given, page: 1, pageSize: limit };
  const payload = decodeCursor(tool, cursor);
  if (!payload) throw cursorError(tool, "not a cursor this tool issued");
  if (Object.keys(given).length > 0 && canonical(given) !== canonical(payload.f)) {
    throw cursorError(
      tool,
      "belongs to other filters: repeat the first call's filters, or give none",
    );
  }
  return {
    filters: payload.f as F,
    page: payload.p,
    pageSize: payload.l,
    ...(payload.e ? { pinnedEnd: payload.e } : {}),
  };
}

function cursorError(tool: string, message: string) {
  return new ToolArgumentsError(tool, [{ path: "arguments.cursor", message }]);
}
