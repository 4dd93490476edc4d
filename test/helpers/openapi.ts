/**
 * The served OpenAPI document for tests: its operations one by one, and Redocly's linter run on
 * it offline, with the project's redocly.yaml.
 */
import { fileURLToPath } from "node:url";
import { BaseResolver, lintFromString, loadConfig } from "@redocly/openapi-core";

export const REDOCLY_CONFIG = fileURLToPath(new URL("../../redocly.yaml", import.meta.url));

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export interface Operation {
  method: string;
  path: string;
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, unknown> }>;
  tags?: string[];
}

/** Every operation of the document, with its method and path. */
export function operationsOf(document: any): Operation[] {
  return Object.entries<Record<string, any>>(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      method,
      path,
      ...item[method],
    })),
  );
}

export interface LintProblem {
  severity: "error" | "warn";
  ruleId: string;
  pointer: string;
  message: string;
}

/**
 * Lints the document text as served from `url` with redocly.yaml. Nothing may reach the network:
 * every fetch (Redocly's own resolver, or the global one) is refused and reported.
 */
export async function lintOffline(
  text: string,
  url: string,
): Promise<{ problems: LintProblem[]; fetches: string[] }> {
  const fetches: string[] = [];
  const refuse = async (target: unknown) => {
    fetches.push(String(target));
    throw new Error(`the linter tried to fetch ${String(target)}`);
  };
  const resolver = new BaseResolver({ http: { headers: [], customFetch: refuse } });
  const globalFetch = globalThis.fetch;
  globalThis.fetch = refuse as typeof fetch;
  try {
    const config = await loadConfig({ configPath: REDOCLY_CONFIG, externalRefResolver: resolver });
    const problems = await lintFromString({
      source: text,
      absoluteRef: url,
      config,
      externalRefResolver: resolver,
    });
    return {
      problems: problems.map((problem) => ({
        severity: problem.severity as LintProblem["severity"],
        ruleId: problem.ruleId,
        pointer: problem.location[0]?.pointer ?? "",
        message: problem.message,
      })),
      fetches,
    };
  } finally {
    globalThis.fetch = globalFetch;
  }
}
