/**
 * A run step that failed because the store went away — its checkpoint write, or the reads that
 * say where it starts — is tried again from the last checkpoint once the store answers: a few
 * times, backing off, and never past the execution's lease (the executor aborts the signal when
 * the lease could not be renewed). Polar writes find what an earlier attempt made (they are
 * keyed by the run), so a retried step does not repeat them.
 */
import { isStoreUnavailable } from "../storage/index.ts";

export const STEP_RETRY = { attempts: 6, firstDelayMs: 250, maxDelayMs: 4_000 };

export async function retryWhileStoreAway<T>(
  attempt: () => Promise<T>,
  options: { signal: AbortSignal; onRetry: (error: unknown, delayMs: number) => void },
): Promise<T> {
  let delay = STEP_RETRY.firstDelayMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isStoreUnavailable(error) || options.signal.aborted || tries >= STEP_RETRY.attempts) {
        throw error;
      }
      options.onRetry(error, delay);
      await sleep(delay, options.signal);
      delay = Math.min(delay * 2, STEP_RETRY.maxDelayMs);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` is aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
