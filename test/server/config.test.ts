/** The service's Polar configuration, turned into the gateway's own `PolarSettings`. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, secretsOf } from "../../server/config.ts";

const noToken = {
  accessToken: null,
  tenantTokens: new Map(),
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
      tenantTokens: new Map(),
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

  it("POLAR_TOKENS gives tenants of API_KEYS their own token, and never prints one", () => {
    const keys = "acme=acme-key-0123456789abcdef,globex=globex-key-0123456789abcdef";
    const config = loadConfig({ API_KEYS: keys, POLAR_TOKENS: "acme=polar_oat_acme" });
    expect(config.polar.tenantTokens).toEqual(new Map([["acme", "polar_oat_acme"]]));
    expect(secretsOf(config)).toContain("polar_oat_acme");
    // A token without a shared one still reaches the base URL it names.
    expect(
      loadConfig({ POLAR_TOKENS: "default=polar_oat_d", POLAR_BASE_URL: "http://127.0.0.1:1" })
        .polar.baseUrl,
    ).toBe("http://127.0.0.1:1");
    for (const bad of ["polar_oat_swapped=acme", "acme", "acme=", "acme=a,acme=b"]) {
      const error = (() => {
        try {
          loadConfig({ API_KEYS: keys, POLAR_TOKENS: bad });
        } catch (caught) {
          return caught as Error;
        }
      })();
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect(error?.message).toMatch(/^Invalid|POLAR_TOKENS/);
      expect(error?.message).not.toContain("polar_oat_swapped");
    }
    expect(() => loadConfig({ POLAR_TOKENS: "acme=t" })).toThrow(/only tenant is default/);
  });
});
