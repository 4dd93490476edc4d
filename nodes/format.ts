/** How figures, dates and references read in messages to people. */

export function formatNumber(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/** "December 17, 2026" — the calendar date in UTC, as Polar's timestamps are. */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString("en-US", {
    year: "numeric",
    month: "long",
    day: "numeric",
    timeZone: "UTC",
  });
}

/** A customer reference as a message names it: "customer usr_881". */
export function describeRef(ref: { id: string } | { external_id: string }): string {
  return "id" in ref ? `customer ${ref.id}` : `customer ${ref.external_id}`;
}
