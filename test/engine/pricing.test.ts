// The engine's prices: the shipped table by default, overrides or a table of
// one's own with withPricing() — the same prices for cost() in conditions, for
// budgets in dollars and for reportUsage() — and the scan cap.

import { describe, expect, test } from 'vitest';
import { PolicyEngine } from '../../src/engine/engine.js';
import { PricingError } from '../../src/functions/pricing.js';

const policy = (rules: string) => `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: p }
spec:
  rules:
${rules}`;

const COST_RULE = `    - id: pricey
      when: "cost(request.model, 1000000, 0) >= 1.0"
      decision: deny
`;

const BUDGET_RULE = `    - id: daily
      budget:
        key: user.id
        limit: 3
        period: day
        usage: { model: request.model, input_tokens: request.input, output_tokens: request.max_tokens }
      decision: deny
`;

const ctx = (model: string, input = 1_000_000, maxTokens = 0) => ({ user: { id: 'u' }, request: { model, input, max_tokens: maxTokens } });

describe('withPricing', () => {
  test('by default the shipped table prices cost() and budgets', async () => {
    const e = await PolicyEngine.builder().withPolicyText(policy(COST_RULE)).build();
    expect(e.evaluateSync(ctx('gpt-4o-mini')).decision).toBe('allow'); // $0.15 per 1M input tokens
    expect(e.evaluateSync(ctx('gpt-4o')).decision).toBe('deny'); // $2.50
  });

  test('overrides in the JSON format add and change models, for cost() and for budgets alike', async () => {
    const overrides = { providers: { acme: { models: { 'acme-1': { input: 1, output: 2 }, 'acme-mini': { input: 0.5, output: 1 } } } } };
    const e = await PolicyEngine.builder().withPolicyText(policy(COST_RULE + BUDGET_RULE)).withPricing(overrides).build();
    const first = e.evaluateSync(ctx('acme-mini', 2_000_000));
    expect(first.decision).toBe('allow'); // cost() = 0.5 < 1; the budget reserves $1 of $3
    const denied = e.evaluateSync(ctx('acme-1'));
    expect(denied.matched.map((m) => m.rule)).toEqual(['pricey']);
    // Budget: $2 left. acme-1 for 1M input tokens costs $1 — admitted when cost() is not in the way.
    const e2 = await PolicyEngine.builder().withPolicyText(policy(BUDGET_RULE)).withPricing(overrides).build();
    expect(e2.evaluateSync(ctx('acme-1', 1_000_000, 1_000_000)).decision).toBe('allow'); // $3 of $3
    const over = e2.evaluateSync(ctx('acme-1', 1));
    expect(over.decision).toBe('deny');
    // The shipped models are still there.
    expect((await PolicyEngine.builder().withPolicyText(policy(COST_RULE)).withPricing(overrides).build()).evaluateSync(ctx('gpt-4o')).decision).toBe('deny');
  });

  test('a cheaper model is suggested from the same prices', async () => {
    const overrides = { providers: { acme: { models: { 'acme-1': { input: 10, output: 10 }, 'acme-mini': { input: 1, output: 1 } } } } };
    const e = await PolicyEngine.builder().withPolicyText(policy(BUDGET_RULE)).withPricing(overrides).build();
    const d = e.evaluateSync(ctx('acme-1', 500_000));
    expect(d.decision).toBe('deny'); // $5 > $3
    expect(d.obligations.suggestions).toEqual([{ policy: 'p', rule: 'daily', values: { model: 'acme-mini' } }]);
  });

  test('any object with cost() and cheaperModels() serves as the prices', async () => {
    const mine = { cost: (model: string, i: number, o: number) => (model === 'house' ? (i + o) / 1e6 : undefined), cheaperModels: () => [] };
    const e = await PolicyEngine.builder().withPolicyText(policy(COST_RULE)).withPricing(mine).build();
    expect(e.evaluateSync(ctx('house')).decision).toBe('deny');
    const unknown = e.evaluateSync(ctx('gpt-4o'));
    expect(unknown.errors[0]!.message).toMatch(/unknown model 'gpt-4o'/);
  });

  test('overrides that do not validate are refused when given, saying where', () => {
    const b = PolicyEngine.builder();
    expect(() => b.withPricing({ providers: { acme: { models: { 'acme-1': { input: -1, output: 2 } } } } })).toThrow(PricingError);
    expect(() => b.withPricing({ providers: { acme: { models: { 'acme-1': { input: -1, output: 2 } } } } })).toThrow(/acme-1.*input/);
  });
});

describe('withMaxScanLength', () => {
  const PII_RULE = `    - id: pii
      when: "size(pii(request.prompt)) > 0"
      decision: deny
`;
  const prompt = `${'x '.repeat(50)}write to jane@example.com`;

  test('text past the cap is not scanned', async () => {
    const full = await PolicyEngine.builder().withPolicyText(policy(PII_RULE)).build();
    expect(full.evaluateSync({ request: { prompt } }).decision).toBe('deny');
    const capped = await PolicyEngine.builder().withPolicyText(policy(PII_RULE)).withMaxScanLength(50).build();
    expect(capped.evaluateSync({ request: { prompt } }).decision).toBe('allow');
  });

  test('the cap must be a positive integer', () => {
    expect(() => PolicyEngine.builder().withMaxScanLength(0)).toThrow(/maxScanLength must be a positive integer, got 0/);
    expect(() => PolicyEngine.builder().withMaxScanLength(1.5)).toThrow(RangeError);
  });
});
