import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseBody } from "../body.ts";
import { issue, notFound, validationError } from "../errors.ts";
import { stableUuid } from "../ids.ts";
import type { BenefitRecord, BenefitType } from "../model.ts";
import { metadataMatches, QueryReader } from "../query.ts";
import { benefitJson } from "../serialize.ts";
import {
  contains,
  inOrganization,
  paginate,
  pathUuid,
  type RouteContext,
  rawQuery,
  sortRecords,
} from "./common.ts";
import { metadataInput } from "./schemas.ts";

const BENEFIT_TYPES: readonly BenefitType[] = [
  "custom",
  "discord",
  "github_repository",
  "downloadables",
  "license_keys",
  "meter_credit",
  "feature_flag",
  "slack_shared_channel",
];
const SORTING = [
  "created_at",
  "-created_at",
  "description",
  "-description",
  "type",
  "-type",
  "user_order",
  "-user_order",
] as const;

const common = {
  description: z.string().min(3).max(42),
  metadata: metadataInput.optional(),
  organization_id: z.uuidv4().nullable().optional(),
  visibility: z.enum(["draft", "private", "public"]).nullable().optional(),
};

/** The benefit types the simulator creates; the others need integrations (Discord, GitHub, files…). */
const createBodies = {
  custom: z.object({
    ...common,
    type: z.literal("custom"),
    properties: z.object({ note: z.string().nullable().optional() }),
  }),
  feature_flag: z.object({ ...common, type: z.literal("feature_flag"), properties: z.object({}) }),
  meter_credit: z.object({
    ...common,
    type: z.literal("meter_credit"),
    properties: z.object({
      units: z.int().gt(0).max(2147483647),
      rollover: z.boolean(),
      meter_id: z.uuidv4(),
    }),
  }),
};

export function benefitRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get("/v1/benefits/", async (request) => {
    const query = new QueryReader(rawQuery(request));
    const organizationIds = query.uuidList("organization_id");
    const types = query.enumList("type", BENEFIT_TYPES);
    const ids = query.uuidList("id");
    const excludeIds = query.uuidList("exclude_id");
    const text = query.string("query");
    const metadata = query.metadata();
    const { page, limit } = query.pagination();
    const sorting = query.sorting(SORTING, ["-created_at"]);
    query.finish();

    const matching = store.benefits.filter(
      (benefit) =>
        inOrganization(store, organizationIds) &&
        (types === undefined || types.includes(benefit.type)) &&
        (ids === undefined || ids.includes(benefit.id)) &&
        (excludeIds === undefined || !excludeIds.includes(benefit.id)) &&
        (text === undefined || contains(benefit.description, text)) &&
        metadataMatches(benefit.metadata, metadata),
    );
    const sorted = sortRecords(matching, sorting, {
      created_at: (benefit) => benefit.created_at,
      description: (benefit) => benefit.description,
      type: (benefit) => benefit.type,
      user_order: (benefit) => benefit.created_at,
    });
    const result = paginate(sorted, page, limit);
    return { ...result, items: result.items.map((benefit) => benefitJson(store, benefit)) };
  });

  app.get("/v1/benefits/:id", async (request) => {
    const benefit = store.benefit(pathUuid(request));
    if (!benefit) throw notFound();
    return benefitJson(store, benefit);
  });

  app.post("/v1/benefits/", async (request, reply) => {
    const type = (request.body as { type?: unknown } | undefined)?.type;
    if (typeof type !== "string" || !(BENEFIT_TYPES as readonly string[]).includes(type)) {
      throw validationError([
        {
          type: "union_tag_invalid",
          loc: ["body"],
          msg: `Input tag '${String(type)}' found using 'type' does not match any of the expected tags: ${BENEFIT_TYPES.map((tag) => `'${tag}'`).join(", ")}`,
          input: request.body,
        },
      ]);
    }
    if (!(type in createBodies)) {
      throw validationError([
        issue.value(
          ["body", type, "type"],
          `Creating ${type} benefits is not supported by the Polar simulator.`,
          type,
        ),
      ]);
    }
    const body = parseBody(createBodies[type as keyof typeof createBodies], request.body, [
      "body",
      type,
    ]);
    if (body.type === "meter_credit" && !store.meter(body.properties.meter_id.toLowerCase())) {
      throw validationError([
        issue.value(
          ["body", "meter_credit", "properties", "meter_id"],
          "Meter does not exist.",
          body.properties.meter_id,
        ),
      ]);
    }
    const benefit: BenefitRecord = {
      id: stableUuid(`benefit:created:${store.nextSequence()}`),
      created_at: store.now(),
      type: body.type,
      description: body.description,
      visibility: body.visibility ?? "public",
      properties:
        body.type === "custom"
          ? { note: body.properties.note ?? null }
          : body.type === "meter_credit"
            ? { ...body.properties, meter_id: body.properties.meter_id.toLowerCase() }
            : {},
      metadata: body.metadata ?? {},
    };
    store.benefits.push(benefit);
    reply.code(201);
    return benefitJson(store, benefit);
  });
}
