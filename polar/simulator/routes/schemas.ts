/** Request-body pieces shared by several endpoints, with Polar's limits. */
import { z } from "zod";

/** Polar's `metadata` input: at most 50 keys of 1–40 characters; strings of 1–500 characters, numbers or booleans. */
export const metadataInput = z
  .record(z.string().min(1).max(40), z.union([z.string().min(1).max(500), z.number(), z.boolean()]))
  .superRefine((metadata, context) => {
    const size = Object.keys(metadata).length;
    if (size > 50) {
      context.addIssue({
        code: "custom",
        message: `Dictionary should have at most 50 items after validation, not ${size}`,
        params: { type: "too_long" },
        input: metadata,
      });
    }
  });
