/**
 * Standalone Polar simulator: `npm run simulator`.
 * Environment: PORT (default 8787), HOST (default 127.0.0.1), SIMULATOR_TOKEN (default: the
 * documented demo token `polar_oat_simulator_demo_token`).
 */
import { DEFAULT_SIMULATOR_TOKEN, startSimulator } from "./app.ts";
import { CUSTOMERS } from "./seed.ts";

const port = Number.parseInt(process.env.PORT ?? "8787", 10);
const host = process.env.HOST ?? "127.0.0.1";
const token = process.env.SIMULATOR_TOKEN || DEFAULT_SIMULATOR_TOKEN;

const simulator = await startSimulator({ host, port, token });
console.log(`Polar simulator (API 2026-10) listening on ${simulator.url}`);
console.log(`Bearer token: ${token}`);
console.log("Try:");
console.log(
  `  curl -H "Authorization: Bearer ${token}" ${simulator.url}/v1/customers/external/${CUSTOMERS.ada.externalId}`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    simulator.close().then(() => process.exit(0));
  });
}
