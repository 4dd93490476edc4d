import { describe, expect, it } from "vitest";
import { checkDraft, type DraftFacts, numbersIn } from "../../llm/checks.ts";

const url = "https://sandbox.polar.sh/checkout/polar_c_8f3k2m9x7q1w5e4r6t0y";

const facts: DraftFacts = {
  requiredUrls: [url],
  requiredFigures: [
    { label: "usage total", value: 15_000 },
    { label: "plan limit", value: 10_000 },
    { label: "percentage of the limit", value: 150, percent: true },
  ],
  requiredDates: [],
  allowedNumbers: [7_000, 5_000, 3_000, 5_000, 50, 28],
  allowedDates: ["2026-12-18T10:00:00.000Z"],
  knownTokens: ["external_usr_881", "ada@example.com", "6c1e2f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00"],
  maxLength: 5_000,
};

const good = [
  "Hi Ada,",
  "In the last 28 days you used 15,000 API requests — 150% of the 10,000 in your Starter plan.",
  "Most of it went to /v1/search (7,000). Pro fits that usage:",
  `${url}.`,
  "The link is valid until December 18, 2026.",
].join("\n");

describe("checkDraft", () => {
  it("passes a draft that keeps to the run's facts", () => {
    expect(checkDraft(good, facts)).toEqual([]);
  });

  it("accepts figures in other formats (15000, 15k, 150 percent)", () => {
    const text = `You used 15k requests, 150 percent of 10000. Upgrade: ${url}`;
    expect(checkDraft(text, facts)).toEqual([]);
  });

  it.each([
    [
      "a missing checkout link",
      good.replace(`${url}.`, "in your dashboard."),
      /link .* is missing/,
    ],
    ["a changed checkout link", good.replace(url, `${url}x`), /link the run did not produce/],
    [
      "another link",
      `${good}\nSee https://example.com/pricing for prices.`,
      /example\.com\/pricing/,
    ],
    ["a bare-domain link", `${good}\nSee example.com/pricing.`, /link the run did not produce/],
    [
      "an invented UUID",
      `${good}\nReference: 0b8d1c4e-7f2a-4e6b-9c3d-1a2b3c4d5e6f`,
      /id the run does not know/,
    ],
    [
      "an invented Polar-like id",
      `${good}\nYour subscription sub_9XkQ2 stays active.`,
      /id the run does not know \(sub_9XkQ2\)/,
    ],
    ["an unknown e-mail address", `${good}\nWrite to billing@evil.example.`, /e-mail address/],
    [
      "a bare domain",
      `${good}\nOr pay at evil-billing.com.`,
      /domain the run does not know \(evil-billing\.com\)/,
    ],
    ["a bare short domain", `${good}\nPay via paypal.me today.`, /domain .*\(paypal\.me\)/],
    ["a subdomain", `${good}\nSee Billing.Example.co.uk.`, /domain .*Billing\.Example\.co\.uk/],
    ["a wrong total", good.replace("15,000", "16,000"), /usage total/],
    ["a wrong percentage", good.replace("150%", "160%"), /percentage/],
    ["an extra figure", `${good}\nPro costs $499 a month.`, /figure the run does not know \(499\)/],
    [
      "an unknown date",
      good.replace("December 18, 2026", "January 3, 2027"),
      /date the run does not know/,
    ],
  ])("rejects %s", (_case, text, problem) => {
    const problems = checkDraft(text, facts);
    expect(problems.join("; ")).toMatch(problem);
  });

  it("passes the run's own ids, e-mail address and dates", () => {
    const text = `${good}\nAccount external_usr_881 (ada@example.com), checkout valid until 2026-12-18.`;
    expect(checkDraft(text, facts)).toEqual([]);
  });

  it("requires the access-end date when one is given, in any common format", () => {
    const offboarding: DraftFacts = {
      ...facts,
      requiredUrls: [],
      requiredFigures: [],
      allowedNumbers: [],
      allowedDates: [],
      requiredDates: [{ label: "date access ends", iso: "2026-12-17T09:30:00Z" }],
    };
    for (const phrase of ["December 17, 2026", "17 December 2026", "Dec 17th", "2026-12-17"]) {
      expect(checkDraft(`Your access continues until ${phrase}.`, offboarding)).toEqual([]);
    }
    expect(checkDraft("Your access continues until the end of the month.", offboarding)).toEqual([
      "it does not state the date access ends",
    ]);
    expect(checkDraft("Access ends December 18, 2026.", offboarding)).toEqual([
      "it states a date the run does not know (December 18, 2026)",
      "it does not state the date access ends",
    ]);
  });

  it("rejects an empty or overlong draft", () => {
    expect(checkDraft("  ", facts)).toEqual(["the draft is empty"]);
    expect(checkDraft(`${good}${" padding".repeat(1_000)}`, facts)).toContain(
      "the draft is longer than 5000 characters",
    );
  });
});

describe("numbersIn", () => {
  it("reads the figures people write", () => {
    expect(
      numbersIn("15,000 requests, 150%, 15k, 1.5 million and 10000").map((n) => [
        n.value,
        n.percent,
      ]),
    ).toEqual([
      [15_000, false],
      [150, true],
      [15_000, false],
      [1_500_000, false],
      [10_000, false],
    ]);
  });
});
