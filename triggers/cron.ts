/** A watch's `schedule`: a 5-field cron in UTC (minute hour day-of-month month day-of-week). */
import { Cron } from "croner";

/** Why the expression is not a usable 5-field cron, or null when it is. */
export function scheduleProblem(expression: string): string | null {
  if (expression.trim().split(/\s+/).length !== 5) {
    return "must be a 5-field cron (minute hour day-of-month month day-of-week), in UTC";
  }
  try {
    const cron = new Cron(expression, { timezone: "UTC", paused: true });
    if (cron.nextRun(new Date()) === null) return "never fires";
    return null;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, "");
  }
}

/** The first tick strictly after `after`, or null when there is none. */
export function nextTick(expression: string, after: Date): Date | null {
  return new Cron(expression, { timezone: "UTC", paused: true }).nextRun(after);
}
