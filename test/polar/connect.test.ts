/** Reaching Polar from `PolarSettings` alone: the gateway needs nothing of the service. */
import { describe, expect, it } from "vitest";
import { connectPolar } from "../../polar/connect.ts";
import { PolarSettingsError } from "../../polar/settings.ts";

const noToken = {
  accessToken: null,
  environment: "sandbox",
  baseUrl: null,
  requestsPerMinute: null,
} as const;

describe("connectPolar", () => {
  it("without a token: the built-in simulator, reached over HTTP", async () => {
    const connection = await connectPolar(noToken);
    try {
      expect(connection.simulator).not.toBeNull();
      expect(connection.baseUrl).toBe(connection.simulator!.url);
      expect(
        await connection.gateway.getCustomer({ external_id: "external_usr_881" }),
      ).toMatchObject({ email: "ada@example.com" });
    } finally {
      await connection.close();
    }
  });

  it("refuses a base URL without a token, starting nothing", async () => {
    const refused = connectPolar({ ...noToken, baseUrl: "http://127.0.0.1:1" });
    await expect(refused).rejects.toBeInstanceOf(PolarSettingsError);
    await expect(refused).rejects.toThrow(/base URL.*no access token/);
  });
});
