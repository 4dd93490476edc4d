/** A test's child process (a crash child) that prints JSON lines, read until one matters. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Runs `script` until it prints a line matching `until`; returns that line's JSON and the process. */
export function runChild(
  script: string,
  args: string[],
  env: Record<string, string>,
  until: (line: any) => boolean,
) {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const line = new Promise<any>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (text) => {
      const parsed = JSON.parse(text);
      if (until(parsed)) resolve(parsed);
    });
    child.on("exit", (code, signal) =>
      reject(new Error(`child exited (${code ?? signal}) early: ${stderr}`)),
    );
  });
  return { child, line };
}
