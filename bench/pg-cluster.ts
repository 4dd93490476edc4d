/**
 * A PostgreSQL cluster of a test's own (`initdb` + `pg_ctl`, on a free loopback port, in a
 * temporary directory), for tests that restart the database or cut its connections — never the
 * shared cluster the other test files use. initdb and pg_ctl refuse to run as root, so as root
 * they run as the `postgres` user.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** The directory of `initdb` and `pg_ctl`: `PG_BIN`, else the newest Debian install. */
export function postgresBinaries(): string | null {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

export interface PrivateCluster {
  url: string;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is away for a moment. */
  restart(): Promise<void>;
  /** `pg_terminate_backend` on every other client connection; answers how many. */
  terminateAll(): Promise<number>;
  /** An outage as long as the caller likes: `pg_ctl stop -m fast`, then `start`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = postgresBinaries();
  if (!bin) throw new Error("no PostgreSQL binaries (set PG_BIN)");
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), "polar-flows-pg-"));
  const data = join(dir, "data");
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: group } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(group.trim()));
    await chmod(dir, 0o700);
  }
  const tool = (name: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, name), ...args])
      : run(join(bin, name), args);
  const port = await freePort();
  await tool("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c max_connections=200",
  ].join(" ");
  const pgCtl = (args: string[]) => tool("pg_ctl", ["-D", data, "-l", join(dir, "log"), ...args]);
  // pg_ctl leaves the server running on its own: it must not outlive a test that failed hard.
  const stopAtExit = () => {
    const args = ["-D", data, "-m", "immediate", "stop"];
    try {
      if (asRoot) execFileSync("runuser", ["-u", "postgres", "--", join(bin, "pg_ctl"), ...args]);
      else execFileSync(join(bin, "pg_ctl"), args);
    } catch {}
  };
  process.once("exit", stopAtExit);
  await pgCtl(["-w", "-o", options, "start"]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async restart() {
      await pgCtl(["-w", "-m", "fast", "restart"]);
    },
    async terminateAll() {
      const admin = new pg.Client({ connectionString: url });
      admin.on("error", () => {});
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
           WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        return rows[0]!.n;
      } finally {
        await admin.end();
      }
    },
    async down() {
      await pgCtl(["-w", "-m", "fast", "stop"]);
    },
    async up() {
      await pgCtl(["-w", "-o", options, "start"]);
    },
    async stop() {
      process.off("exit", stopAtExit);
      await pgCtl(["-w", "-m", "immediate", "stop"]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
