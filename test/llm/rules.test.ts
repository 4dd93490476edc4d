import { describe, expect, it } from "vitest";
import { readCancellationRequest, readRoutingRequest } from "../../llm/rules.ts";

const scenario1 =
  "Customer external_usr_881 is way over their Starter plan's 10,000 API requests this month; offer them Pro.";
const scenario2 =
  "I want to cancel. Don't bill me next month, but keep my access until the end of the month.";

describe("readCancellationRequest", () => {
  it.each([
    [scenario2, "cancel_at_period_end"],
    ["cancel", "cancel_at_period_end"],
    ["Please don't bill me next month.", "cancel_at_period_end"],
    ["Keep access until the 30th, then stop.", "cancel_at_period_end"],
    ["Stop my subscription please", "cancel_at_period_end"],
    ["Please do not renew my plan.", "cancel_at_period_end"],
    ["Cancel immediately and refund this month.", "cancel_now"],
    ["Delete my account right now.", "cancel_now"],
    ["Cancel today please", "cancel_now"],
    ["I don't want to cancel, I just want a cheaper plan", "other"],
    ["Can I pause my subscription for a month?", "other"],
    ["Please downgrade me to Starter.", "other"],
    ["What does the Pro plan include?", "other"],
  ])("%s → %s", (text, intent) => {
    expect(readCancellationRequest(text).intent).toBe(intent);
  });

  it.each([
    ["Cancel please, it's too expensive for us.", "too_expensive"],
    ["We are not using it any more, so cancel.", "unused"],
    ["We switched to another provider; cancel.", "switched_service"],
    [scenario2, null],
  ])("reads the reason of %s", (text, reason) => {
    expect(readCancellationRequest(text).reason).toBe(reason);
  });
});

describe("readRoutingRequest", () => {
  it("reads Scenario 1 as an overage with its products, limit and customer", () => {
    expect(readRoutingRequest(scenario1)).toEqual({
      workflow: "overage-remediation",
      customer_reference: "external_usr_881",
      current_product: "Starter",
      upgrade_product: "Pro",
      limit: 10_000,
    });
  });

  it("reads Scenario 2 as an offboarding", () => {
    expect(readRoutingRequest(scenario2)).toMatchObject({
      workflow: "subscription-offboarding",
      customer_reference: null,
    });
  });

  it.each([
    "Please look into this customer's account.",
    "They are over their plan and want to cancel.",
  ])("leaves %s undecided", (text) => {
    expect(readRoutingRequest(text).workflow).toBeNull();
  });

  it("takes a UUID as the customer reference, and no person's name", () => {
    expect(
      readRoutingRequest("Customer 6c1e2f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00 wants to cancel.")
        .customer_reference,
    ).toBe("6c1e2f0a-1b2c-4d3e-8f4a-5b6c7d8e9f00");
    expect(readRoutingRequest("Customer Ada wants to cancel.").customer_reference).toBeNull();
  });
});
