/**
 * Chaos: two replicas on a private PostgreSQL cluster, runs started and streamed through both
 * while Polar answers slowly, and the database restarted or every backend terminated three
 * times at random 1–5 s intervals. Every run completes by itself (nobody retries or resumes
 * anything), with at most one checkout each; no replica exits; `/readyz` goes 503 and back;
 * `/v1` answers 503 with Retry-After, never a 500; every event log is whole and every live event
 * stream saw all of it; the replicas' logs tell the losses in short lines.
 */
import { describe, expect, test } from "vitest";
import { runChaosTrial } from "../../bench/pg-chaos.ts";
import { postgresBinaries } from "../../bench/pg-cluster.ts";

const bin = postgresBinaries();
if (!bin && process.env.CI) throw new Error("CI needs PostgreSQL's initdb and pg_ctl: set PG_BIN");
if (!bin) console.warn("no PostgreSQL binaries: skipping the chaos test");

describe.skipIf(!bin)("PostgreSQL restarts under two replicas", () => {
  test("every run completes by itself, once, with its events whole", {
    timeout: 240_000,
  }, async () => {
    const report = await runChaosTrial({
      runs: 40,
      cuts: 3,
      gapMs: [1_000, 5_000],
      polarLatencyMs: 100,
      deadlineMs: 150_000,
    });
    console.info(
      `pg chaos: ${report.completed}/${report.runs} runs completed; cuts ${report.cuts
        .map(
          (cut) => `${cut.kind} ready after ${cut.readyMs} ms, progress after ${cut.progressMs} ms`,
        )
        .join("; ")}; /readyz 503 ×${report.readyz503}; /v1 503 ×${report.answered503}; ` +
        `${report.lossLines} loss lines`,
    );
    expect(report.exits).toEqual([]);
    expect(report.unfinished).toEqual([]);
    expect(report.completed).toBe(report.runs);
    expect(report.wrongCheckouts).toEqual([]);
    expect(report.unexpectedAnswers).toEqual([]);
    expect(report.lostEvents).toBe(0);
    expect(report.streamGaps).toEqual([]);
    expect(report.readyz503).toBeGreaterThan(0);
    expect(report.readyAtEnd).toBe(true);
    expect(report.cuts).toHaveLength(3);
    expect(report.lossLines).toBeGreaterThan(0);
    expect(report.badLogLines).toEqual([]);
  });
});
