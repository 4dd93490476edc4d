/** The service's Polar configuration, turned into the gateway's own `PolarSettings`. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.ts";

const noToken = {
  accessToken: null,
  environment: "sandbox",
  baseUrl: null,
  requestsPerMinute: null,
} as const;

describe("the service's configuration as PolarSettings", () => {
  it("a token gives the environment's default budget; no token, no client-side limit", () => {
    expect(loadConfig({}).polar).toEqual(noToken);
    expect(
      loadConfig({ POLAR_ACCESS_TOKEN: "polar_oat_x", POLAR_ENVIRONMENT: "production" }).polar,
    ).toEqual({
      accessToken: "polar_oat_x",
      environment: "production",
      baseUrl: null,
      requestsPerMinute: 500,
    });
    expect(loadConfig({ POLAR_ACCESS_TOKEN: "t", POLAR_RATE_LIMIT: "7" }).polar).toMatchObject({
      requestsPerMinute: 7,
    });
  });

  it("names the variables when POLAR_BASE_URL comes without POLAR_ACCESS_TOKEN", () => {
    expect(() => loadConfig({ POLAR_BASE_URL: "http://127.0.0.1:1" })).toThrow(ConfigError);
    expect(() => loadConfig({ POLAR_BASE_URL: "http://127.0.0.1:1" })).toThrow(
      /POLAR_BASE_URL is set but POLAR_ACCESS_TOKEN is not/,
    );
  });
});
