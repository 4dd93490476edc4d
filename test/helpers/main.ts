/** `server/main.ts` as a child process, the way it is deployed: for crash and replica tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const MAIN = join(import.meta.dirname, "../../server/main.ts");

export interface Main {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it printed (for failure messages). */
  output: () => string;
}

/** Starts the service on a free loopback port; resolves once it listens. */
export async function startMain(env: Record<string, string>): Promise<Main> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      // The banner ends with the storage line (the replica's name, on PostgreSQL).
      const match = /listening on (http:\/\/\S+)[\s\S]*Storage:[^\n]*\n/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk) => {
      output += chunk;
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`main.ts exited (${code ?? signal}): ${output}`)),
    );
  });
  return { child, url, exited, output: () => output };
}
