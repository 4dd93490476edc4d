/**
 * Everything that differs between SQLite and PostgreSQL for the run registry. The registry
 * and its migrations are written once, in SQL both accept, with `?` placeholders.
 */
export interface SqlDialect {
  readonly kind: "sqlite" | "postgres";
  /** A table name, schema-qualified where the backend has schemas. */
  table(name: string): string;
  /** Now, with millisecond precision, in the form the timestamp columns hold. */
  readonly now: string;
  readonly jsonType: string;
  readonly timestampType: string;
  /** An integer primary key the database numbers itself, in insertion order. */
  readonly serialKeyType: string;
  /** Starts a transaction that will write (SQLite takes the write lock up front). */
  readonly beginWrite: string;
  /** Now plus a duration: SQL with one `?`, bound to `duration(ms)`. */
  readonly nowPlus: string;
  duration(ms: number): unknown;
  /** Appended to a `SELECT` that claims rows, so concurrent claimers pass each other's by. */
  readonly skipLocked: string;
  readJson(value: unknown): unknown;
  /** A JSON column's text field at `path` (plain names: a top-level key, or keys within). */
  jsonText(column: string, ...path: string[]): string;
  readTimestamp(value: unknown): string;
}

/** Runs one statement; resolves to its rows (none for statements that return none). */
export interface SqlClient {
  readonly dialect: SqlDialect;
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export const sqliteDialect: SqlDialect = {
  kind: "sqlite",
  table: (name) => name,
  // Same text as Date#toISOString, so stored values sort and compare as strings.
  now: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
  jsonType: "TEXT",
  timestampType: "TEXT",
  serialKeyType: "INTEGER PRIMARY KEY AUTOINCREMENT",
  beginWrite: "BEGIN IMMEDIATE",
  nowPlus: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
  duration: (ms) => `+${ms / 1000} seconds`,
  // One connection, one statement at a time: nothing to skip.
  skipLocked: "",
  readJson: (value) => (value == null ? null : JSON.parse(value as string)),
  jsonText: (column, ...path) => `json_extract(${column}, '$.${path.join(".")}')`,
  readTimestamp: (value) => value as string,
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function postgresDialect(schema: string): SqlDialect {
  if (!IDENTIFIER.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  }
  return {
    kind: "postgres",
    table: (name) => `"${schema}".${name}`,
    // statement_timestamp(): one value per statement, so created_at = updated_at on insert.
    now: "date_trunc('milliseconds', statement_timestamp())",
    jsonType: "JSONB",
    timestampType: "TIMESTAMPTZ",
    serialKeyType: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    beginWrite: "BEGIN",
    nowPlus: "date_trunc('milliseconds', statement_timestamp()) + CAST(? AS INTERVAL)",
    duration: (ms) => `${Math.round(ms)} milliseconds`,
    skipLocked: "FOR UPDATE SKIP LOCKED",
    // node-postgres already parses JSONB values and turns TIMESTAMPTZ into a Date.
    readJson: (value) => value ?? null,
    jsonText: (column, ...path) => `(${column} #>> '{${path.join(",")}}')`,
    readTimestamp: (value) => (value as Date).toISOString(),
  };
}

/** `?, ?, ?` for an `IN (…)` list. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/** `?` → `$1, $2, …` for PostgreSQL. The registry's SQL has no `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}
