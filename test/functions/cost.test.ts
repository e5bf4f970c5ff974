import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CelEnv } from '../../src/cel/env.js';
import {
  PricingError,
  PricingTable,
  cheaperModels,
  costFunction,
  defaultPricing,
  parsePricing,
  priceOf,
  withPricing,
} from '../../src/functions/index.js';
import { cel, celError, envOf } from './helpers.js';

const shipped = JSON.parse(readFileSync(new URL('../../data/pricing.json', import.meta.url), 'utf8')) as {
  providers: Record<string, { source: string; as_of: string; models: Record<string, unknown> }>;
};

describe('data/pricing.json', () => {
  test('is valid, and covers OpenAI, Anthropic, Google, Mistral and Meta with a source URL and date each', () => {
    const t = defaultPricing();
    expect([...t.providers.keys()].sort()).toEqual(['anthropic', 'google', 'meta', 'mistral', 'openai']);
    for (const [name, p] of Object.entries(shipped.providers)) {
      expect(p.source, name).toMatch(/^https:\/\//);
      expect(p.as_of, name).toMatch(/^20\d\d-\d\d-\d\d$/);
      expect(Object.keys(p.models).length, name).toBeGreaterThanOrEqual(5);
    }
  });

  test('every price is per 1M tokens, output at least input (embeddings aside), cached input below input', () => {
    for (const m of defaultPricing().models()) {
      expect(m.input, m.model).toBeGreaterThan(0);
      if (!m.model.startsWith('text-embedding')) expect(m.output, m.model).toBeGreaterThanOrEqual(m.input);
      if (m.cachedInput !== undefined) expect(m.cachedInput, m.model).toBeLessThan(m.input);
      expect(m.input, m.model).toBeLessThan(200);
    }
  });
});

describe('cost()', () => {
  test.each([
    // model, input tokens, output tokens, USD
    ['gpt-4o', '1000', '500', (1000 * 2.5 + 500 * 10) / 1e6],
    ['gpt-4o-mini', '1000000', '1000000', 0.15 + 0.6],
    ['gpt-5.5', '2000', '1000', (2000 * 5 + 1000 * 30) / 1e6],
    ['claude-sonnet-4-6', '10000', '2000', (10000 * 3 + 2000 * 15) / 1e6],
    ['claude-haiku-4-5', '1000', '1000', (1000 * 1 + 1000 * 5) / 1e6],
    ['gemini-2.5-flash', '4000', '1000', (4000 * 0.3 + 1000 * 2.5) / 1e6],
    ['mistral-large-latest', '1000', '1000', (1000 * 0.5 + 1000 * 1.5) / 1e6],
    ['llama-3.3-70b-instruct', '1000', '1000', (1000 * 0.88 + 1000 * 0.88) / 1e6],
  ])('cost(%j, %s, %s) = %f', (model, input, output, usd) => {
    expect(cel(`cost('${model}', ${input}, ${output})`)).toBeCloseTo(usd, 12);
  });

  test('exact for round figures', () => {
    expect(cel("cost('gpt-4o', 1000, 500)")).toBe(0.0075);
    expect(cel("cost('claude-opus-4-8', 1000000, 0)")).toBe(5);
  });

  test('int or double token counts, in any combination', () => {
    for (const args of ['1000, 500', '1000.0, 500', '1000, 500.0', '1000.0, 500.0']) expect(cel(`cost('gpt-4o', ${args})`)).toBe(0.0075);
    expect(cel('cost(request.model, tokens(request.prompt), request.max_tokens)', { request: { model: 'gpt-4o', prompt: 'hello world', max_tokens: 100 } })).toBeCloseTo(
      (2 * 2.5 + 100 * 10) / 1e6,
      15,
    );
  });

  test('aliases, dated snapshots, -latest names, case and router prefixes', () => {
    for (const m of ['gpt-4o-2024-08-06', 'GPT-4o', 'openai/gpt-4o']) expect(cel(`cost('${m}', 1000, 500)`), m).toBe(0.0075);
    expect(cel("cost('claude-sonnet-4-5', 1000, 0)")).toBe(cel("cost('claude-sonnet-4-5-20250929', 1000, 0)"));
    expect(cel("cost('claude-3-5-haiku-latest', 1000000, 0)")).toBe(0.8);
    expect(cel("cost('mistral-small-latest', 1000000, 1000000)")).toBeCloseTo(0.4, 12);
    expect(cel("cost('meta-llama/llama-4-scout-17b-16e-instruct', 1000000, 0)")).toBe(0.18);
  });

  test('an unknown model is an error, never 0', () => {
    expect(celError("cost('gpt-9-ultra', 1, 1)")).toBe("unknown model 'gpt-9-ultra': add it to the pricing table");
    expect(cel("cost('gpt-9-ultra', 1, 1) > 0.0 || true")).toBe(true); // errors are absorbed like any CEL error
  });

  test('negative or non-finite token counts are errors', () => {
    expect(celError("cost('gpt-4o', -1, 0)")).toMatch(/input_tokens must be a non-negative number of tokens/);
    expect(celError("cost('gpt-4o', 0, double('NaN'))")).toMatch(/output_tokens must be a non-negative number/);
  });

  test('wrong argument types are compile errors', () => {
    expect(() => envOf().compile("cost('gpt-4o', '1', 2)")).toThrow(/found no matching overload|no matching overload/);
  });

  test('constant calls are computed when the expression compiles (pure)', () => {
    let calls = 0;
    const decl = costFunction(defaultPricing());
    const counting = { ...decl, overloads: decl.overloads.map((o) => ({ ...o, impl: (...a: unknown[]) => (calls++, o.impl(...a)) })) };
    const p = new CelEnv({ functions: [counting] }).program("cost('gpt-4o', 1000, 500) * 2.0");
    expect(calls).toBe(1);
    expect(p.eval()).toBe(0.015);
    expect(p.eval()).toBe(0.015);
    expect(calls).toBe(1);
  });
});

describe('overriding the table', () => {
  test('withPricing(overrides): new models, changed prices, removals; the rest stays', () => {
    const env = new CelEnv({
      functions: [
        withPricing({
          providers: {
            openai: { models: { 'gpt-4o': { input: 2, output: 8 }, 'gpt-4o-mini': null } },
            acme: { source: 'https://acme.example/prices', as_of: '2026-10-01', models: { 'acme-1': { input: 1, output: 2, aliases: ['acme-latest'] } } },
          },
        }),
      ],
    });
    expect(env.program("cost('gpt-4o', 1000000, 1000000)").eval()).toBe(10);
    expect(env.program("cost('gpt-4o-2024-08-06', 1000000, 0)").eval()).toBe(2); // aliases stay with the model
    expect(env.program("cost('acme-latest', 1000000, 1000000)").eval()).toBe(3);
    expect(env.program("cost('gpt-4o-mini', 1, 1)").evalResult()).toMatchObject({ message: "unknown model 'gpt-4o-mini': add it to the pricing table" });
    expect(env.program("cost('claude-haiku-4-5', 1000000, 0)").eval()).toBe(1);
  });

  test('an override keyed by an alias prices that snapshot on its own', () => {
    const t = defaultPricing().extend({ providers: { openai: { models: { 'gpt-4o-2024-08-06': { input: 5, output: 15 } } } } });
    expect(t.cost('gpt-4o-2024-08-06', 1e6, 0)).toBe(5);
    expect(t.cost('gpt-4o', 1e6, 0)).toBe(2.5);
    expect(t.cost('gpt-4o-2024-11-20', 1e6, 0)).toBe(2.5);
  });

  test('policyFunctions({ pricing }) takes overrides or a table', () => {
    expect(cel("cost('x-1', 1000000, 0)", {}, envOf({ pricing: { providers: { x: { models: { 'x-1': { input: 7, output: 7 } } } } } }))).toBe(7);
    const table = parsePricing(JSON.stringify({ providers: { y: { source: 'https://y.example', as_of: '2026-01-01', models: { 'y-1': { input: 1, output: 1 } } } } }));
    const env = envOf({ pricing: table });
    expect(cel("cost('y-1', 1000000, 0)", {}, env)).toBe(1);
    expect(celError("cost('gpt-4o', 1, 1)", {}, env)).toMatch(/unknown model 'gpt-4o'/);
  });

  test('validation lists every problem with its path', () => {
    let err: unknown;
    try {
      PricingTable.fromDocument({
        format: 'other',
        providers: {
          openai: { models: { 'gpt-x': { input: -1, output: 'ten', colour: 'red' }, 'gpt-y': null } },
          Bad: { source: 'ftp://x', as_of: '2026/01/01', models: [] },
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PricingError);
    expect((err as PricingError).problems).toEqual([
      'format: must be "llm-policy-engine/pricing@1", got "other"',
      'providers.openai: needs "source" (the URL of the price list) and "as_of" (its date)',
      'providers.openai.models.gpt-x.colour: unknown key (expected input, output, cached_input, aliases, deprecated)',
      'providers.openai.models.gpt-x.input: must be a non-negative number (USD per 1M tokens), got number -1',
      'providers.openai.models.gpt-x.output: must be a non-negative number (USD per 1M tokens), got "ten"',
      'providers.openai.models.gpt-y: null (removal) is only allowed in overrides',
      "providers.Bad: provider names are lower-case letters, digits, '.', '_' and '-'",
      'providers.Bad.source: must be an http(s) URL',
      'providers.Bad.as_of: must be a date YYYY-MM-DD',
      'providers.Bad.models: must be an object of models, got a list',
    ]);
    expect((err as PricingError).message).toMatch(/^pricing table is invalid:\n {2}- format/);
  });

  test('duplicate names and aliases are rejected', () => {
    expect(() =>
      defaultPricing().extend({ providers: { custom: { models: { mine: { input: 1, output: 1, aliases: ['gpt-4o'] } } } } }),
    ).toThrow(/'gpt-4o' is already the name or an alias of 'gpt-4o'|'gpt-4o' is already the name or an alias of 'mine'/);
  });

  test('parsePricing reports bad JSON clearly', () => {
    expect(() => parsePricing('{ nope', 'config.pricing')).toThrow(/^config.pricing is invalid:\n {2}- not valid JSON/);
  });
});

describe('priceOf and cheaperModels', () => {
  test('priceOf gives the canonical entry', () => {
    expect(priceOf('claude-haiku-4-5')).toMatchObject({ model: 'claude-haiku-4-5-20251001', provider: 'anthropic', input: 1, output: 5, cachedInput: 0.1 });
    expect(priceOf('nope')).toBeUndefined();
  });

  test('same provider, cheaper for the same request, most expensive first, no deprecated models', () => {
    const c = cheaperModels('gpt-4o');
    // gpt-4o costs 3×2.5 + 10 = 17.5 per 3 input + 1 output tokens; gpt-4.1 and o3 14, gpt-5.1 and gpt-5 13.75
    // (equal prices in table order).
    expect(c.slice(0, 4)).toEqual(['gpt-4.1', 'o3', 'gpt-5.1', 'gpt-5']);
    expect(c).toContain('gpt-4o-mini');
    expect(c).toContain('gpt-5-nano');
    expect(c).not.toContain('gpt-4o');
    expect(c).not.toContain('gpt-3.5-turbo');
    expect(c.every((m) => defaultPricing().price(m)!.provider === 'openai')).toBe(true);
    const costs = c.map((m) => defaultPricing().cost(m, 3, 1)!);
    expect([...costs].sort((a, b) => b - a)).toEqual(costs);
    expect(cheaperModels('claude-opus-4-8', { limit: 2 })).toEqual(['claude-sonnet-4-6', 'claude-sonnet-4-5-20250929']);
    expect(cheaperModels('claude-haiku-4-5')).toEqual([]);
    expect(cheaperModels('claude-haiku-4-5', { includeDeprecated: true })).toEqual(['claude-3-5-haiku-20241022', 'claude-3-haiku-20240307']);
    expect(cheaperModels('unknown-model')).toEqual([]);
  });

  test('the request shape decides: output-heavy requests compare output prices', () => {
    // gemini-2.5-pro: 1.25 in / 10 out; gemini-3-flash-preview: 0.5 / 3.
    expect(cheaperModels('gemini-2.5-pro', { inputTokens: 0, outputTokens: 1 })).toContain('gemini-3-flash-preview');
  });

  test('a PricingTable is what the engine needs for budgets: cost() in dollars or undefined, cheaperModels()', () => {
    const t = defaultPricing();
    expect(t.cost('gpt-4o', 1000, 500)).toBe(0.0075);
    expect(t.cost('nope', 1, 1)).toBeUndefined();
    expect(t.cheaperModels('gpt-4o').length).toBeGreaterThan(3);
  });
});
