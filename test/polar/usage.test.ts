/** The usage arithmetic on its own: how events add up, page by page or all at once. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EMPTY_TALLY,
  eventUsageSum,
  meterInterval,
  meterUsageSum,
  numericValue,
  tallyEvents,
  UNGROUPED,
} from "../../polar/usage.ts";

const window = { start: new Date("2026-01-01T00:00:00Z"), end: new Date("2026-01-31T00:00:00Z") };
const call = (metadata: Record<string, unknown>, name = "api_request") => ({ name, metadata });

describe("usage arithmetic", () => {
  it("counts events of the measured name, groups them, and sorts groups largest first", () => {
    const events = [
      call({ endpoint: "/a" }),
      call({ endpoint: "/b" }),
      call({ endpoint: "/b" }),
      call({}),
      call({ endpoint: "" }),
      call({ endpoint: "/a" }, "system.meter_credited"),
    ];
    const tally = tallyEvents(EMPTY_TALLY, events, {
      eventName: "api_request",
      groupBy: "endpoint",
    });
    const sum = eventUsageSum(tally, window, 1);
    expect(sum).toEqual({
      source: "events",
      total: 5,
      by_group: { "/b": 2, [UNGROUPED]: 2, "/a": 1 },
      window_start: "2026-01-01T00:00:00.000Z",
      window_end: "2026-01-31T00:00:00.000Z",
      events: 5,
      pages: 1,
    });
    expect(Object.keys(sum.by_group)).toEqual(["/b", UNGROUPED, "/a"]);
  });

  it("sums a numeric property: numbers and numeric strings count, anything else is 0", () => {
    const events = [
      call({ tokens: 3 }),
      call({ tokens: "4" }),
      call({ tokens: "x" }),
      call({ tokens: true }),
      call({}),
    ];
    const tally = tallyEvents(EMPTY_TALLY, events, {
      eventName: "api_request",
      sumProperty: "tokens",
    });
    expect(tally).toMatchObject({ total: 7, events: 5 });
    expect(numericValue(" ")).toBe(0);
    expect(numericValue(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it("keeps a group named __proto__ as a group", () => {
    const tally = tallyEvents(EMPTY_TALLY, [call({ endpoint: "__proto__" })], {
      eventName: "api_request",
      groupBy: "endpoint",
    });
    const sum = eventUsageSum(tally, window, 1);
    expect(Object.entries(sum.by_group)).toEqual([["__proto__", 1]]);
  });

  it("adds up the same page by page as all at once, and leaves earlier tallies as they were", () => {
    const event = fc.record({
      name: fc.constantFrom("api_request", "other"),
      metadata: fc.record({ endpoint: fc.constantFrom("/a", "/b", ""), tokens: fc.integer() }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(event, { maxLength: 5 }), { maxLength: 5 }), (pages) => {
        const measure = { eventName: "api_request", groupBy: "endpoint", sumProperty: "tokens" };
        const whole = tallyEvents(EMPTY_TALLY, pages.flat(), measure);
        const tallies = [EMPTY_TALLY];
        for (const page of pages) tallies.push(tallyEvents(tallies.at(-1)!, page, measure));
        expect(tallies.at(-1)).toEqual(whole);
        expect(EMPTY_TALLY).toEqual({ total: 0, events: 0, byGroup: new Map() });
      }),
    );
  });

  it("reads the meter by day up to a year and by month beyond; the meter path has no pages", () => {
    expect(meterInterval(window)).toBe("day");
    const long = { start: new Date("2024-01-01T00:00:00Z"), end: new Date("2025-06-01T00:00:00Z") };
    expect(meterInterval(long)).toBe("month");
    expect(meterUsageSum(42, window)).toMatchObject({
      source: "meter",
      total: 42,
      by_group: {},
      events: 0,
      pages: 0,
    });
  });
});
