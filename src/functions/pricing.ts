// The pricing table behind cost(): per-1M-token prices by provider and model,
// shipped as data/pricing.json and overridable from code or configuration.

import { readFileSync } from 'node:fs';
import { CelError } from '../cel/errors.js';
import { type FunctionDecl, globalOverload } from '../cel/library/overload.js';
import { T } from '../cel/types.js';
import { kindName } from '../cel/values.js';

/** Prices in USD per 1M tokens. */
export interface ModelPrice {
  /** The canonical model name (the table's key, not an alias). */
  readonly model: string;
  readonly provider: string;
  readonly input: number;
  readonly output: number;
  /** A prompt-cache hit, where the provider publishes it. */
  readonly cachedInput?: number;
  readonly aliases: readonly string[];
  /** Still priced, but not suggested as a cheaper model. */
  readonly deprecated: boolean;
}

export interface ProviderInfo {
  readonly name: string;
  /** Where the prices were published. */
  readonly source?: string;
  /** The date (YYYY-MM-DD) of the price list the entries come from. */
  readonly asOf?: string;
  readonly note?: string;
}

/** The JSON shape of data/pricing.json (and of overrides, where every field but the prices is optional). */
export interface PricingDocument {
  readonly format?: string;
  readonly currency?: string;
  readonly unit?: string;
  readonly notes?: string;
  readonly providers: Readonly<Record<string, ProviderDocument>>;
}

export interface ProviderDocument {
  readonly source?: string;
  readonly as_of?: string;
  readonly note?: string;
  /** A model set to null is removed (in overrides). */
  readonly models?: Readonly<Record<string, ModelDocument | null>>;
}

export interface ModelDocument {
  readonly input: number;
  readonly output: number;
  readonly cached_input?: number;
  readonly aliases?: readonly string[];
  readonly deprecated?: boolean;
}

/**
 * What the engine needs of prices: cost() in policies, budgets in dollars,
 * reportUsage() in tokens and cheaper-model suggestions. PricingTable is one;
 * an application with its own price source can supply another.
 */
export interface Pricing {
  /** Dollars for the given tokens, or undefined for a model the table does not know. */
  cost(model: string, inputTokens: number, outputTokens: number): number | undefined;
  /** Models that cost less than `model`, most expensive (most capable) first. */
  cheaperModels(model: string): readonly string[];
}

/** A Pricing implementation, as opposed to pricing overrides in the JSON format. */
export function isPricing(x: unknown): x is Pricing {
  return typeof x === 'object' && x !== null && typeof (x as Pricing).cost === 'function' && typeof (x as Pricing).cheaperModels === 'function';
}

export const PRICING_FORMAT = 'llm-policy-engine/pricing@1';

/** Problems found in a pricing document, each with its JSON path. */
export class PricingError extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly source = 'pricing table',
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PricingError';
  }
}

export interface CheaperOptions {
  /** The request shape to compare at (default 3 input tokens per output token, a common blend). */
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** Include deprecated models (default false). */
  readonly includeDeprecated?: boolean;
  /** At most this many (default all). */
  readonly limit?: number;
}

/** A validated pricing table. Lookups are case-insensitive and accept aliases. */
export class PricingTable {
  private readonly byName = new Map<string, ModelPrice>();
  private readonly canonical: ModelPrice[] = [];

  private constructor(
    readonly providers: ReadonlyMap<string, ProviderInfo>,
    models: readonly ModelPrice[],
    /** The document this table was built from (normalised: what `extend` merges into). */
    readonly document: PricingDocument,
  ) {
    for (const m of models) {
      this.canonical.push(m);
      this.byName.set(m.model, m);
      for (const a of m.aliases) this.byName.set(a, m);
    }
  }

  /** Validates a parsed pricing document; throws PricingError listing every problem. */
  static fromDocument(doc: unknown, source?: string): PricingTable {
    const problems: string[] = [];
    const normalized = validateDocument(doc, problems, false);
    if (problems.length || !normalized) throw new PricingError(problems, source);
    return PricingTable.build(normalized, source);
  }

  private static build(doc: PricingDocument, source?: string): PricingTable {
    const providers = new Map<string, ProviderInfo>();
    const models: ModelPrice[] = [];
    const owner = new Map<string, string>();
    const problems: string[] = [];
    // The kept document has lower-case names and aliases, so extend() can match them.
    const normalized: Record<string, ProviderDocument> = {};
    for (const [p, pd] of Object.entries(doc.providers)) {
      providers.set(p, { name: p, source: pd.source, asOf: pd.as_of, note: pd.note });
      const kept: Record<string, ModelDocument> = {};
      for (const [name, md] of Object.entries(pd.models ?? {})) {
        if (!md) continue;
        const model = name.toLowerCase();
        const aliases = [...new Set((md.aliases ?? []).map((a) => a.trim().toLowerCase()))].filter((a) => a !== model);
        for (const n of [model, ...aliases]) {
          const prev = owner.get(n);
          if (prev !== undefined) problems.push(`providers.${p}.models.${name}: '${n}' is already the name or an alias of '${prev}'`);
          owner.set(n, model);
        }
        kept[model] = { ...md, aliases };
        models.push({
          model,
          provider: p,
          input: md.input,
          output: md.output,
          ...(md.cached_input !== undefined ? { cachedInput: md.cached_input } : {}),
          aliases,
          deprecated: md.deprecated ?? false,
        });
      }
      normalized[p] = { ...pd, models: kept };
    }
    if (problems.length) throw new PricingError(problems, source);
    return new PricingTable(providers, models, { ...doc, providers: normalized });
  }

  /**
   * A new table: this one with `overrides` applied. Providers merge. A model
   * entry replaces the prices of the model of that name (wherever it was; it
   * keeps its aliases and deprecation unless the entry sets them);
   * an entry named like an alias of another model takes that alias over as a
   * model of its own; `null` removes a model (or, for an alias, the alias).
   * Overrides are validated like a full document, except that a provider
   * needs no source or date.
   */
  extend(overrides: unknown, source = 'pricing overrides'): PricingTable {
    const problems: string[] = [];
    const o = validateDocument(overrides, problems, true);
    if (problems.length || !o) throw new PricingError(problems, source);
    const providers: Record<string, { source?: string; as_of?: string; note?: string; models: Record<string, ModelDocument> }> = {};
    for (const [p, pd] of Object.entries(this.document.providers)) {
      const models: Record<string, ModelDocument> = {};
      for (const [k, m] of Object.entries(pd.models ?? {})) if (m) models[k] = m;
      providers[p] = { source: pd.source, as_of: pd.as_of, note: pd.note, models };
    }
    for (const [p, pd] of Object.entries(o.providers)) {
      const target = (providers[p] ??= { models: {} });
      if (pd.source !== undefined) target.source = pd.source;
      if (pd.as_of !== undefined) target.as_of = pd.as_of;
      if (pd.note !== undefined) target.note = pd.note;
      for (const [name, md] of Object.entries(pd.models ?? {})) {
        const key = name.toLowerCase();
        let replaced: ModelDocument | undefined;
        for (const q of Object.values(providers)) {
          if (key in q.models) {
            replaced = q.models[key];
            delete q.models[key];
          }
          for (const [k, m] of Object.entries(q.models)) {
            if (m.aliases?.includes(key)) q.models[k] = { ...m, aliases: m.aliases.filter((a) => a !== key) };
          }
        }
        // A new price for a known model keeps its aliases and deprecation unless the override sets them.
        if (md !== null) target.models[key] = replaced ? { aliases: replaced.aliases, deprecated: replaced.deprecated, ...md } : md;
      }
    }
    return PricingTable.build({ ...this.document, providers }, source);
  }

  /** The entry for a model name or alias (case-insensitive; `openai/gpt-4o` also finds `gpt-4o`). */
  price(model: string): ModelPrice | undefined {
    const m = model.trim().toLowerCase();
    const hit = this.byName.get(m);
    if (hit) return hit;
    const slash = m.lastIndexOf('/');
    return slash >= 0 ? this.byName.get(m.slice(slash + 1)) : undefined;
  }

  /** The canonical name of a model or alias. */
  canonicalName(model: string): string | undefined {
    return this.price(model)?.model;
  }

  /** Dollars for the given tokens, or undefined for a model the table does not know. */
  cost(model: string, inputTokens: number, outputTokens: number): number | undefined {
    const p = this.price(model);
    if (!p) return undefined;
    return (inputTokens * p.input + outputTokens * p.output) / 1_000_000;
  }

  /**
   * Models of the same provider that cost less than `model` for the same
   * request (by default 3 input tokens per output token), the most expensive
   * (closest in capability) first, equal prices in table order. Deprecated
   * models are left out unless asked for. Unknown model: an empty list.
   */
  cheaperModels(model: string, opts: CheaperOptions = {}): string[] {
    const p = this.price(model);
    if (!p) return [];
    const inTok = opts.inputTokens ?? 3;
    const outTok = opts.outputTokens ?? 1;
    const costOf = (m: ModelPrice): number => inTok * m.input + outTok * m.output;
    const limit = costOf(p);
    const out = this.canonical
      .filter((m) => m.provider === p.provider && m.model !== p.model && (opts.includeDeprecated || !m.deprecated) && costOf(m) < limit)
      .sort((a, b) => costOf(b) - costOf(a)) // stable: equal prices stay in table order (newest first in the shipped file)
      .map((m) => m.model);
    return opts.limit === undefined ? out : out.slice(0, opts.limit);
  }

  /** Every model entry (canonical names), in table order. */
  models(): readonly ModelPrice[] {
    return this.canonical;
  }
}

// ---------------------------------------------------------------------------
// Validation

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MODEL_KEYS = new Set(['input', 'output', 'cached_input', 'aliases', 'deprecated']);
const PROVIDER_KEYS = new Set(['source', 'as_of', 'note', 'models']);
const TOP_KEYS = new Set(['format', 'currency', 'unit', 'notes', 'providers', '$schema', '$comment']);

function validateDocument(doc: unknown, problems: string[], partial: boolean): PricingDocument | undefined {
  if (!isObj(doc)) {
    problems.push(`the document must be an object with "providers", got ${describe(doc)}`);
    return undefined;
  }
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) problems.push(`${k}: unknown key (expected ${[...TOP_KEYS].filter((x) => !x.startsWith('$')).join(', ')})`);
  if (doc.format !== undefined && doc.format !== PRICING_FORMAT) problems.push(`format: must be "${PRICING_FORMAT}", got ${describe(doc.format)}`);
  if (doc.currency !== undefined && doc.currency !== 'USD') problems.push(`currency: only "USD" is supported, got ${describe(doc.currency)}`);
  for (const k of ['unit', 'notes'] as const) if (doc[k] !== undefined && typeof doc[k] !== 'string') problems.push(`${k}: must be a string`);
  if (!isObj(doc.providers)) {
    problems.push(`providers: must be an object of providers (e.g. { "openai": { "models": { ... } } }), got ${describe(doc.providers)}`);
    return undefined;
  }
  for (const [p, pd] of Object.entries(doc.providers)) {
    const at = `providers.${p}`;
    if (!/^[a-z0-9][a-z0-9_.-]*$/.test(p)) problems.push(`${at}: provider names are lower-case letters, digits, '.', '_' and '-'`);
    if (!isObj(pd)) {
      problems.push(`${at}: must be an object with "models", got ${describe(pd)}`);
      continue;
    }
    for (const k of Object.keys(pd)) if (!PROVIDER_KEYS.has(k)) problems.push(`${at}.${k}: unknown key (expected source, as_of, note, models)`);
    if (pd.source !== undefined && (typeof pd.source !== 'string' || !/^https?:\/\//.test(pd.source))) problems.push(`${at}.source: must be an http(s) URL`);
    if (pd.as_of !== undefined && (typeof pd.as_of !== 'string' || !DATE.test(pd.as_of))) problems.push(`${at}.as_of: must be a date YYYY-MM-DD`);
    if (pd.note !== undefined && typeof pd.note !== 'string') problems.push(`${at}.note: must be a string`);
    if (!partial && (pd.source === undefined || pd.as_of === undefined)) problems.push(`${at}: needs "source" (the URL of the price list) and "as_of" (its date)`);
    if (pd.models === undefined) {
      if (!partial) problems.push(`${at}.models: missing`);
      continue;
    }
    if (!isObj(pd.models)) {
      problems.push(`${at}.models: must be an object of models, got ${describe(pd.models)}`);
      continue;
    }
    for (const [name, md] of Object.entries(pd.models)) {
      const mat = `${at}.models.${name}`;
      if (name.trim() === '' || name !== name.trim()) problems.push(`${mat}: a model name must be non-empty without surrounding spaces`);
      if (md === null) {
        if (!partial) problems.push(`${mat}: null (removal) is only allowed in overrides`);
        continue;
      }
      if (!isObj(md)) {
        problems.push(`${mat}: must be an object such as { "input": 2.5, "output": 10 }, got ${describe(md)}`);
        continue;
      }
      for (const k of Object.keys(md)) if (!MODEL_KEYS.has(k)) problems.push(`${mat}.${k}: unknown key (expected input, output, cached_input, aliases, deprecated)`);
      for (const k of ['input', 'output'] as const) {
        if (md[k] === undefined) problems.push(`${mat}.${k}: missing (USD per 1M tokens)`);
        else if (!isPrice(md[k])) problems.push(`${mat}.${k}: must be a non-negative number (USD per 1M tokens), got ${describe(md[k])}`);
      }
      if (md.cached_input !== undefined && !isPrice(md.cached_input)) problems.push(`${mat}.cached_input: must be a non-negative number (USD per 1M tokens), got ${describe(md.cached_input)}`);
      if (md.deprecated !== undefined && typeof md.deprecated !== 'boolean') problems.push(`${mat}.deprecated: must be true or false`);
      if (md.aliases !== undefined) {
        if (!Array.isArray(md.aliases) || md.aliases.some((a) => typeof a !== 'string' || a.trim() === '')) problems.push(`${mat}.aliases: must be a list of non-empty strings`);
      }
    }
  }
  return doc as unknown as PricingDocument;
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Parses and validates pricing JSON text. */
export function parsePricing(json: string, source = 'pricing JSON'): PricingTable {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new PricingError([`not valid JSON: ${(e as Error).message}`], source);
  }
  return PricingTable.fromDocument(doc, source);
}

/** Reads, parses and validates a pricing JSON file. */
export function loadPricingFile(path: string | URL): PricingTable {
  return parsePricing(readFileSync(path, 'utf8'), String(path));
}

/** data/pricing.json, from src/functions or dist/functions alike. */
export const DEFAULT_PRICING_URL = new URL('../../data/pricing.json', import.meta.url);

let shipped: PricingTable | undefined;

/** The table shipped with the package (data/pricing.json), read once on first use. */
export function defaultPricing(): PricingTable {
  shipped ??= loadPricingFile(DEFAULT_PRICING_URL);
  return shipped;
}

/** The shipped table with overrides applied (a table, or any Pricing, is used as it is). */
export function resolvePricing(pricing: Pricing | unknown | undefined): Pricing {
  if (pricing === undefined) return defaultPricing();
  if (isPricing(pricing)) return pricing;
  return defaultPricing().extend(pricing);
}

/** The price entry of a model in the shipped table (or `table`). */
export function priceOf(model: string, table: PricingTable = defaultPricing()): ModelPrice | undefined {
  return table.price(model);
}

/** Cheaper models of the same provider in the shipped table (or `opts.table`), most expensive first. */
export function cheaperModels(model: string, opts: CheaperOptions & { readonly table?: PricingTable } = {}): string[] {
  return (opts.table ?? defaultPricing()).cheaperModels(model, opts);
}

// ---------------------------------------------------------------------------
// cost()

function tokenCount(v: unknown, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN;
  if (typeof v !== 'bigint' && typeof v !== 'number') throw new CelError(`cost(): ${what} must be a number, got ${kindName(v)}`);
  if (!Number.isFinite(n) || n < 0) throw new CelError(`cost(): ${what} must be a non-negative number of tokens, got ${String(v)}`);
  return n;
}

/**
 * cost(model, input_tokens, output_tokens) → double (USD), priced from `table`.
 * Token counts may be ints or doubles. An unknown model is an error, never 0.
 * Pure: calls with constant arguments are computed when the policy loads.
 * `table` may be a function returning the table, called on the first cost() call.
 */
export function costFunction(table: Pricing | (() => Pricing) = defaultPricing): FunctionDecl {
  // A function is called on first use: the shipped table is not read by engines that never price anything.
  let resolved = isPricing(table) ? table : undefined;
  const impl = (model: string, input: unknown, output: unknown): number => {
    resolved ??= (table as () => Pricing)();
    const dollars = resolved.cost(model, tokenCount(input, 'input_tokens'), tokenCount(output, 'output_tokens'));
    if (dollars === undefined) throw new CelError(`unknown model '${model}': add it to the pricing table`);
    return dollars;
  };
  const overloads = [];
  for (const [a, an] of [
    [T.int, 'int'],
    [T.double, 'double'],
  ] as const) {
    for (const [b, bn] of [
      [T.int, 'int'],
      [T.double, 'double'],
    ] as const) {
      overloads.push(globalOverload(`cost_string_${an}_${bn}`, [T.string, a, b], T.double, impl));
    }
  }
  return {
    name: 'cost',
    doc: 'USD for a request from the pricing table: cost(request.model, tokens(request.prompt), request.max_tokens) > 0.50',
    overloads,
  };
}

/** cost() over the shipped table with `overrides` applied (see PricingTable.extend). */
export function withPricing(overrides: unknown): FunctionDecl {
  return costFunction(defaultPricing().extend(overrides));
}
