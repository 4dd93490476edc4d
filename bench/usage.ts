import { PolarGateway } from "../polar/gateway.ts";
import { CUSTOMERS, METER, USAGE_WINDOW_DAYS } from "../polar/simulator/seed.ts";
import { peakRssGrowth, type Row, round, startSimulatorProcess } from "./support.ts";

const DAY_MS = 86_400_000;

export async function benchUsage(options: { quick: boolean }): Promise<Row[]> {
  const simulator = await startSimulatorProcess();
  const gateway = () => new PolarGateway({ accessToken: simulator.token, baseUrl: simulator.url });
  const rows: Row[] = [];
  try {
    const sizes = options.quick ? [10_000, 100_000] : [100_000, 1_000_000];
    for (const events of sizes) {
      const polar = gateway();
      const end = new Date();
      // The seeded million are spread evenly over the window: a slice of it holds `events` of them.
      const spanMs = (USAGE_WINDOW_DAYS * DAY_MS * events) / CUSTOMERS.edsger.apiRequests;
      const window =
        events >= CUSTOMERS.edsger.apiRequests
          ? { start: new Date(end.getTime() - (USAGE_WINDOW_DAYS + 1) * DAY_MS), end }
          : { start: new Date(end.getTime() - spanMs), end };
      const started = performance.now();
      const { result, peakGrowthMiB } = await peakRssGrowth(() =>
        polar.sumEventUsage({
          customerId: CUSTOMERS.edsger.id,
          eventName: METER.eventName,
          window,
          groupBy: "endpoint",
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const label = `sum ${result.events.toLocaleString("en-US")} events`;
      rows.push(
        {
          section: "event sum",
          metric: `${label}: time`,
          value: round(seconds),
          unit: "s",
          how: "gateway.sumEventUsage over HTTP, simulator in its own process",
        },
        {
          section: "event sum",
          metric: `${label}: pages`,
          value: result.pages,
          unit: "pages",
          how: `limit=100; ceil(N/100) = ${Math.ceil(result.events / 100)}`,
        },
        {
          section: "event sum",
          metric: `${label}: peak RSS growth`,
          value: round(peakGrowthMiB, 1),
          unit: "MiB",
          how: "RSS sampled every 10 ms, peak minus before",
        },
      );
    }
  } finally {
    await simulator.close();
  }
  return rows;
}
