import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe } from "vitest";
import { createStorage, type Storage } from "../../storage/index.ts";

/** One place a test file's storage lives; `open()` again reaches the same data. */
export interface TestBackend {
  kind: Storage["kind"];
  open(): Promise<Storage>;
}

const databaseUrl = process.env.TEST_DATABASE_URL;

/**
 * Declares `body` once per backend: SQLite in a temporary directory and PostgreSQL in a schema
 * of its own (test files run in parallel processes), both removed after the file.
 */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void): void {
  describe(`${title} (sqlite)`, () => {
    const dataDir = mkdtemp(join(tmpdir(), "polar-flows-storage-"));
    afterAll(async () => rm(await dataDir, { recursive: true, force: true }));
    body({ kind: "sqlite", open: async () => createStorage({ dataDir: await dataDir }) });
  });

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
    });
  });
}
