/** What the trigger tests share: the demo watch's body, and the runs a watch started. */
import { METER, PRODUCTS } from "../../polar/simulator/seed.ts";
import type { TestServer } from "../helpers/server.ts";

/** Starter customers over their meter credits → a Pro upgrade. */
export const STARTER_WATCH = {
  meter_id: METER.id,
  current_product: { name: "Starter" },
  upgrade_product: { id: PRODUCTS.pro.id },
};

/** Every overage-remediation run a watch started, oldest first. */
export async function remediationsOf(server: Pick<TestServer, "call">, watch: string) {
  const runs: any[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `/v1/runs?workflow=overage-remediation&limit=100${cursor ? `&cursor=${cursor}` : ""}`;
    const { json } = await server.call("GET", query);
    runs.push(...json.runs);
    cursor = json.next_cursor;
  } while (cursor);
  return runs.filter((run) => run.metadata.watch === watch).reverse();
}
