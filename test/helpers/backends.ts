import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe } from "vitest";
import { createStorage, type Storage } from "../../storage/index.ts";

/** One place a test file's storage lives; `open()` again reaches the same data. */
export interface TestBackend {
  kind: Storage["kind"];
  open(): Promise<Storage>;
  /**
   * Everything the store holds, as text: the SQLite files' bytes, or every row of every table
   * in the PostgreSQL schema (binary columns decoded as UTF-8).
   */
  contents(): Promise<string>;
}

const databaseUrl = process.env.TEST_DATABASE_URL;

/** SQLite in a temporary directory, removed after the file (or the describe it is made in). */
export function sqliteBackend(): TestBackend {
  const dataDir = mkdtemp(join(tmpdir(), "polar-flows-storage-"));
  afterAll(async () => rm(await dataDir, { recursive: true, force: true }));
  return {
    kind: "sqlite",
    open: async () => createStorage({ dataDir: await dataDir }),
    async contents() {
      const dir = await dataDir;
      const files = await readdir(dir);
      const bytes = await Promise.all(files.map((file) => readFile(join(dir, file))));
      return bytes.map((buffer) => buffer.toString("latin1")).join("\n");
    },
  };
}

/**
 * Declares `body` once per backend: SQLite in a temporary directory and PostgreSQL in a schema
 * of its own (test files run in parallel processes), both removed after the file.
 */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void): void {
  describe(`${title} (sqlite)`, () => body(sqliteBackend()));

  if (!databaseUrl) {
    console.warn(`TEST_DATABASE_URL is not set: skipping the PostgreSQL half of "${title}"`);
  }
  describe.skipIf(!databaseUrl)(`${title} (postgres)`, () => {
    const schema = `test_${randomUUID().replaceAll("-", "")}`;
    afterAll(async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    });
    body({
      kind: "postgres",
      open: () => createStorage({ databaseUrl, dataDir: "unused", schema }),
      async contents() {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          const tables = await client.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            [schema],
          );
          const texts: string[] = [];
          for (const { table_name } of tables.rows) {
            const { rows } = await client.query(`SELECT * FROM "${schema}"."${table_name}"`);
            for (const row of rows) {
              for (const value of Object.values(row)) {
                texts.push(Buffer.isBuffer(value) ? value.toString("utf8") : JSON.stringify(value));
              }
            }
          }
          return texts.join("\n");
        } finally {
          await client.end();
        }
      },
    });
  });
}

/** A store for child processes, as their environment, and how to remove it afterwards. */
export type ProcessBackend = [
  name: string,
  make: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>,
];

/**
 * SQLite in a temporary directory (`DATA_DIR`) and, with TEST_DATABASE_URL, a PostgreSQL schema
 * of its own (`PG_SCHEMA`): for tests that run the service in processes they kill.
 */
export function processBackends(prefix: string): ProcessBackend[] {
  const backends: ProcessBackend[] = [
    [
      "sqlite",
      async () => {
        const dir = await mkdtemp(join(tmpdir(), `polar-flows-${prefix}-`));
        return { env: { DATA_DIR: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
      },
    ],
  ];
  if (!databaseUrl) {
    console.warn(`TEST_DATABASE_URL is not set: the ${prefix} test runs on SQLite only`);
    return backends;
  }
  backends.push([
    "postgres",
    async () => {
      const schema = `${prefix.replaceAll("-", "_")}_${randomUUID().replaceAll("-", "")}`;
      return {
        env: { DATABASE_URL: databaseUrl, PG_SCHEMA: schema },
        cleanup: async () => {
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  ]);
  return backends;
}
