// The embedded engine: load → compile → evaluate, with a decision cache and
// atomic reloads. The public face of the library (see README "Library API").

import { nextDecisionId } from './decision-id.js';
import { performance } from 'node:perf_hooks';
import { type KeyReader, buildKeyReader } from '../cache/cache-key.js';
import { DecisionCache, type CacheStats, type EvictionPolicy } from '../cache/decision-cache.js';
import type { FunctionDecl } from '../cel/library/overload.js';
import { resolveMaxScanLength } from '../functions/common.js';
import { policyFunctions } from '../functions/index.js';
import { preloadEncoding } from '../functions/tokens.js';
import { defaultPricing, resolvePricing } from '../functions/pricing.js';
import { checkTimestamp, parseTimestamp } from '../cel/runtime/time.js';
import type { CelTimestamp } from '../cel/values.js';
import type { Diagnostic, Document } from '../policy/types.js';
import type { Decision } from './decision.js';
import { type DecisionCore, EMPTY_OBLIGATIONS, type Evaluation, evaluatePolicies, evaluateSet, finish, preliminaryDecision } from './evaluate.js';
import { type PendingLimit, type Pricing, applyLimitOutcomes, applyStoreFailure } from './stateful.js';
import { MemoryLimitStore } from '../limits/memory-store.js';
import type { LimitStore, StoreResult } from '../limits/types.js';
import { toCount, toMicros } from '../limits/units.js';
import { type PolicySource, loadAndCompile } from './load-set.js';
import { CompilationCache, type CompiledPolicySet, compilePolicySet } from './policy-set.js';
import { type LimitNotes, traceSet } from './trace.js';

export interface EvaluateOptions {
  /** Include a trace explaining every rule (slower; bypasses the cache). */
  readonly trace?: boolean;
  /** The time now() returns (Date, RFC 3339 string or epoch ms); default: the real clock. */
  readonly now?: Date | string | number;
  /** Check limits and budgets without counting or reserving anything. */
  readonly dryRun?: boolean;
}

/** What the caller reports about a request it made, to settle the budgets its decision reserved. */
export interface Usage {
  readonly input_tokens?: number;
  readonly output_tokens?: number;
  /** Dollars; when absent, budgets in dollars price the tokens with the pricing table. */
  readonly cost?: number;
}

export interface UsageResult {
  /** False when the store does not know the decision: nothing reserved, already settled, or forgotten. */
  readonly found: boolean;
  readonly settled: number;
}

export interface LimitOptions {
  /** When the limit store cannot be reached: `closed` (default) refuses, `open` skips the limits. */
  readonly failMode?: 'open' | 'closed';
}

export interface DecisionCacheConfig {
  readonly enabled: boolean;
  readonly capacity: number;
  readonly ttlSeconds: number;
  readonly evictionPolicy: EvictionPolicy;
}

export interface CompilationCacheConfig {
  readonly enabled: boolean;
  readonly capacity: number;
}

/** Thrown by build() and returned by reload() when policies do not load. */
export class PolicyLoadError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(`policies failed to load:\n${diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.message}`).join('\n')}`);
    this.name = 'PolicyLoadError';
  }
}

export interface ReloadResult {
  readonly ok: boolean;
  /** The active revision after the call (unchanged when ok is false). */
  readonly revision: string;
  readonly diagnostics: readonly Diagnostic[];
}

export interface PolicySummary {
  readonly name: string;
  readonly namespace: string;
  readonly file: string;
  readonly priority: number;
  readonly rules: readonly { readonly id: string; readonly decision: string; readonly mode: string }[];
}

export interface EngineStats {
  readonly revision: string;
  readonly policies: number;
  readonly rules: number;
  readonly evaluations: number;
  readonly cache: CacheStats;
  readonly compilationCache: { readonly size: number; readonly hits: number; readonly misses: number };
  readonly reloads: number;
  readonly reloadFailures: number;
  readonly limits: {
    readonly store: string;
    /** Calls to the limit store (one per evaluation with limits; two with shadow limits). */
    readonly checks: number;
    /** Calls in which a limit or budget refused the request. */
    readonly refusals: number;
    /** Calls that failed because the store could not be reached (the fail mode applied). */
    readonly storeErrors: number;
    /** Reservations settled by reportUsage(). */
    readonly settlements: number;
  };
}

type Source = PolicySource;

interface Active {
  readonly set: CompiledPolicySet;
  readonly documents: readonly Document[];
  /** The traced twin of `set`, compiled on the first traced evaluation. */
  traced?: CompiledPolicySet;
  /** Reads a context's decision-cache key; absent when decisions are not cacheable (now() in a policy). */
  readonly key?: KeyReader;
}

export class PolicyEngineBuilder {
  private readonly sources: Source[] = [];
  private decisionCache: DecisionCacheConfig = { enabled: true, capacity: 10_000, ttlSeconds: 300, evictionPolicy: 'lru' };
  private compilationCache: CompilationCacheConfig = { enabled: true, capacity: 100 };
  private readonly functions: FunctionDecl[] = [];
  private limitStore: LimitStore | undefined;
  private failMode: 'open' | 'closed' = 'closed';
  private pricing: Pricing | undefined;
  private maxScanLength: number | undefined;

  /** A policy file (YAML or JSON; several documents per file allowed). */
  withPolicyFile(path: string): this {
    this.sources.push({ kind: 'path', path });
    return this;
  }

  /** A directory of policy files, read recursively. */
  withPolicyDir(path: string): this {
    this.sources.push({ kind: 'path', path });
    return this;
  }

  /** Policy text held in memory; `name` stands for the file name in diagnostics. */
  withPolicyText(text: string, name = '<inline>'): this {
    this.sources.push({ kind: 'text', text, name });
    return this;
  }

  withCacheCapacity(capacity: number): this {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
    this.decisionCache = { ...this.decisionCache, capacity, enabled: capacity > 0 };
    return this;
  }

  /** The guide's cache.decision_cache settings. */
  withDecisionCache(config: Partial<DecisionCacheConfig>): this {
    const c = { ...this.decisionCache, ...config };
    if (!Number.isInteger(c.capacity) || c.capacity < 0) throw new RangeError(`decision cache capacity must be a non-negative integer, got ${c.capacity}`);
    if (!(c.ttlSeconds >= 0)) throw new RangeError(`decision cache ttlSeconds must be 0 (no expiry) or more, got ${c.ttlSeconds}`);
    if (!['lru', 'lfu', 'ttl'].includes(c.evictionPolicy)) throw new RangeError(`decision cache evictionPolicy must be lru, lfu or ttl, got ${String(c.evictionPolicy)}`);
    this.decisionCache = c;
    return this;
  }

  /** The guide's cache.compilation_cache settings. */
  withCompilationCache(config: Partial<CompilationCacheConfig>): this {
    this.compilationCache = { ...this.compilationCache, ...config };
    return this;
  }

  /** Adds a CEL function available to every policy. */
  withFunction(decl: FunctionDecl): this {
    this.functions.push(decl);
    return this;
  }

  /**
   * Where limits and budgets keep their counts: the default is an in-memory
   * store for this process; share a Redis store between replicas.
   */
  withLimitStore(store: LimitStore, options: LimitOptions = {}): this {
    this.limitStore = store;
    if (options.failMode !== undefined) {
      if (options.failMode !== 'open' && options.failMode !== 'closed') throw new RangeError(`failMode must be open or closed, got ${String(options.failMode)}`);
      this.failMode = options.failMode;
    }
    return this;
  }

  /**
   * The prices cost(), budgets in dollars and cheaper-model suggestions use.
   * Default: the table shipped with the package (data/pricing.json). Give a
   * PricingTable (e.g. loadPricingFile('prices.json')), any object with
   * cost() and cheaperModels(), or overrides in the pricing JSON format, which
   * are applied to the shipped table (docs/functions.md, "Overriding prices").
   * Throws PricingError for overrides that do not validate.
   */
  withPricing(pricing: Pricing | object): this {
    this.pricing = resolvePricing(pricing);
    return this;
  }

  /**
   * How many characters of a text tokens(), pii(), redact(), secrets() and
   * injection() look at (default 1 MiB); the rest is not scanned.
   */
  withMaxScanLength(characters: number): this {
    this.maxScanLength = resolveMaxScanLength({ maxScanLength: characters });
    return this;
  }

  /** Loads and compiles the policies; rejects with PolicyLoadError listing every problem. */
  async build(): Promise<PolicyEngine> {
    if (this.sources.length === 0) throw new Error('no policies: call withPolicyFile(), withPolicyDir() or withPolicyText() before build()');
    const pricing = this.pricing ?? defaultPricing();
    const builtins = policyFunctions({ pricing, ...(this.maxScanLength !== undefined ? { maxScanLength: this.maxScanLength } : {}) });
    const engine = new PolicyEngine([...this.sources], this.decisionCache, this.compilationCache, { builtins, custom: [...this.functions] }, {
      store: this.limitStore ?? new MemoryLimitStore(),
      failMode: this.failMode,
      pricing,
    });
    const r = await engine.reload();
    if (!r.ok) throw new PolicyLoadError(r.diagnostics);
    return engine;
  }
}

const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cost'] as const;

/** Shadow limits are checked and reserved under an id of their own per rule, never the decision's. */
function shadowDecisionId(decisionId: string, namespace: string, policy: string, rule: string): string {
  return `${decisionId}:shadow:${namespace}/${policy}/${rule}`;
}

export class PolicyEngine {
  static builder(): PolicyEngineBuilder {
    return new PolicyEngineBuilder();
  }

  private active: Active | undefined;
  private readonly cache: DecisionCache<DecisionCore> | undefined;
  private readonly compiled: CompilationCache | undefined;
  private evaluations = 0;
  private reloads = 0;
  private reloadFailures = 0;
  private reloading: Promise<ReloadResult> | undefined;
  /** The run that follows `reloading`, for reload() calls made while it runs. */
  private queuedReload: Promise<ReloadResult> | undefined;
  /** Reused buffer for cache-key leaves (evaluation is synchronous, so one per engine suffices). */
  private readonly leaves: unknown[] = [];
  /** Evaluations in progress on this engine (more than one only when a custom function re-enters). */
  private depth = 0;
  private readonly limitStats = { checks: 0, refusals: 0, storeErrors: 0, settlements: 0 };

  /** Use PolicyEngine.builder(). */
  constructor(
    private readonly sources: readonly Source[],
    private readonly cacheConfig: DecisionCacheConfig,
    compilationConfig: CompilationCacheConfig,
    private readonly functions: { readonly builtins: readonly FunctionDecl[]; readonly custom: readonly FunctionDecl[] },
    private readonly limits: { readonly store: LimitStore; readonly failMode: 'open' | 'closed'; readonly pricing: Pricing },
  ) {
    if (cacheConfig.enabled && cacheConfig.capacity > 0) {
      this.cache = new DecisionCache({ capacity: cacheConfig.capacity, ttlSeconds: cacheConfig.ttlSeconds, evictionPolicy: cacheConfig.evictionPolicy });
    }
    if (compilationConfig.enabled) this.compiled = new CompilationCache(compilationConfig.capacity);
  }

  /** The active policy revision. */
  get revision(): string {
    return this.current().set.revision;
  }

  /**
   * Re-reads every source and compiles it. On success the new set replaces
   * the old one in a single assignment (evaluations in flight finish on the
   * set they started with); on failure the old set stays active.
   */
  reload(): Promise<ReloadResult> {
    // Runs never overlap. A call made while a run is in flight must not share it: that run
    // may have read the sources before the change that prompted the call (a file watcher's
    // reload would be lost). It gets one more run, started when the current one ends and
    // shared by every call made until then.
    if (this.queuedReload) return this.queuedReload;
    if (!this.reloading) return this.startReload();
    const next = (): Promise<ReloadResult> => {
      this.queuedReload = undefined;
      return this.startReload();
    };
    this.queuedReload = this.reloading.then(next, next);
    return this.queuedReload;
  }

  private startReload(): Promise<ReloadResult> {
    const run: Promise<ReloadResult> = this.doReload().finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    this.reloading = run;
    return run;
  }

  private async doReload(): Promise<ReloadResult> {
    const r = await loadAndCompile(this.sources, { builtins: this.functions.builtins, functions: this.functions.custom, cache: this.compiled });
    if (!r.set) {
      this.reloadFailures++;
      return { ok: false, revision: this.active?.set.revision ?? '', diagnostics: r.diagnostics };
    }
    // The tokenizer takes about 100 ms to load: do it now rather than in the first request that counts tokens.
    if (r.set.policies.some((p) => p.calls.has('tokens'))) preloadEncoding();
    // Decisions that depend on the clock or on stored limits are never cached.
    const key = this.cache && r.set.deterministic && !r.set.stateful ? buildKeyReader(r.set.reads) : undefined;
    // A new revision starts a new cache: entries of the old one could never be hit again.
    this.cache?.clear();
    this.active = { set: r.set, documents: r.documents, key };
    this.reloads++;
    return { ok: true, revision: r.set.revision, diagnostics: r.diagnostics };
  }

  private current(): Active {
    if (!this.active) throw new Error('the engine has no policies loaded');
    return this.active;
  }

  /**
   * Evaluates a context. Policies with limits or budgets consult the limit
   * store, which for Redis means I/O; everything else completes at once.
   */
  async evaluate(context: Readonly<Record<string, unknown>>, options: EvaluateOptions = NO_OPTIONS): Promise<Decision> {
    const start = this.begin(context, options);
    if ('decision' in start) return start.decision;
    if (!start.active.set.stateful) return this.pure(start, context, options);
    const ev = this.phaseOne(start, context);
    const waiting = this.runLimits(ev, start, options);
    if (waiting) await waiting;
    return this.afterLimits(ev, start, context, options);
  }

  /** Evaluates synchronously; with limits or budgets, only when the limit store is in memory. */
  evaluateSync(context: Readonly<Record<string, unknown>>, options: EvaluateOptions = NO_OPTIONS): Decision {
    const start = this.begin(context, options);
    if ('decision' in start) return start.decision;
    if (!start.active.set.stateful) return this.pure(start, context, options);
    if (!this.limits.store.synchronous) {
      throw new Error(`these policies have limits or budgets kept in the ${this.limits.store.name} limit store, which needs I/O: use evaluate()`);
    }
    const ev = this.phaseOne(start, context);
    this.runLimits(ev, start, options);
    return this.afterLimits(ev, start, context, options);
  }

  /** Validates the call and the context; a schema denial ends the evaluation here. */
  private begin(context: Readonly<Record<string, unknown>>, options: EvaluateOptions): Start | { decision: Decision } {
    const t0 = performance.now();
    const active = this.active ?? this.current();
    const set = active.set;
    if (typeof context !== 'object' || context === null || Array.isArray(context)) {
      throw new TypeError(`the evaluation context must be an object such as { "request": {...}, "user": {...} }, got ${context === null ? 'null' : Array.isArray(context) ? 'an array' : typeof context}`);
    }
    this.evaluations++;
    let warnings: readonly string[] = NO_WARNINGS;
    const schema = set.settings.schema;
    if (schema && set.settings.schemaViolation !== 'ignore') {
      const problems = schema.validate(context);
      if (problems.length) {
        if (set.settings.schemaViolation === 'deny') return { decision: this.stamp(schemaDenial(problems), set, false, t0, [], undefined) };
        warnings = problems;
      }
    }
    const now = options.now === undefined ? undefined : toTimestamp(options.now);
    return { t0, decisionId: nextDecisionId(), active, warnings, now };
  }

  /** Policy sets without limits: the decision cache, then evaluation. */
  private pure(start: Start, context: Readonly<Record<string, unknown>>, options: EvaluateOptions): Decision {
    const { t0, active, warnings, now } = start;
    const set = active.set;
    let hash: number | undefined;
    // A custom function may evaluate through this engine while an evaluation is running:
    // the nested one gets its own key buffer so it cannot overwrite the outer key.
    const leaves = this.depth === 0 ? this.leaves : [];
    if (active.key && !options.trace) {
      hash = active.key(context, leaves);
      if (hash !== undefined) {
        const hit = this.cache!.get(hash, leaves, t0);
        if (hit) return this.stamp(hit, set, true, t0, warnings, undefined, start.decisionId);
      }
    }
    let core: DecisionCore;
    this.depth++;
    try {
      core = evaluateSet(set, context, now);
    } finally {
      this.depth--;
    }
    // Cached decisions are shared by every caller that hits them: freeze them so no caller can change another's.
    if (hash !== undefined) this.cache!.set(hash, leaves, deepFreeze(core), t0);
    return this.stamp(core, set, false, t0, warnings, options.trace ? this.trace(active, context, now, undefined) : undefined, start.decisionId);
  }

  private phaseOne(start: Start, context: Readonly<Record<string, unknown>>): Evaluation {
    this.depth++;
    try {
      return evaluatePolicies(start.active.set, context, start.now, this.limits.pricing);
    } finally {
      this.depth--;
    }
  }

  /**
   * Asks the store about every pending limit in one call (enforced ones
   * consume, unless the request is already refused or this is a dry run;
   * shadow ones never do). Returns a promise only for asynchronous stores.
   */
  private runLimits(ev: Evaluation, start: Start, options: EvaluateOptions): Promise<void> | undefined {
    if (ev.pending.length === 0) return undefined;
    const enforced = ev.pending.filter((p) => p.rule.mode === 'enforce');
    const shadow = ev.pending.filter((p) => p.rule.mode === 'shadow');
    const pre = preliminaryDecision(ev);
    const dryRun = options.dryRun === true;
    if (pre === 'deny' || pre === 'throttle') {
      for (const p of ev.pending) p.note = `not checked: the request is already refused (${pre}), so nothing is counted`;
      return undefined;
    }
    // No rule allowed it and the set denies by default: a limit could not make it pass, and traffic
    // that is refused anyway must not use up anyone's limits or budgets.
    if (pre === undefined && ev.set.settings.defaultDecision === 'deny') {
      for (const p of ev.pending) p.note = 'not checked: no rule allows the request and the default decision is deny, so nothing is counted';
      return undefined;
    }
    // Shadow limits run as if enforced, but in keys of their own (never shared with enforcement)
    // and only for requests the enforced limits admit — a faithful trial — one call each, so that
    // one shadow refusal does not hide another.
    const shadows = (admitted: boolean): Promise<void> | undefined => {
      if (!admitted) {
        for (const p of shadow) p.note = 'not checked: the request was refused by an enforced limit';
        return undefined;
      }
      const waits: Promise<void>[] = [];
      for (const p of shadow) {
        Object.assign(p, { check: { ...p.check, key: `shadow:${p.check.key}` } });
        const w = this.storeCall(ev, [p], shadowDecisionId(start.decisionId, p.policy.namespace, p.policy.name, p.rule.id), dryRun, nowMsOf(ev, start.now));
        if (w instanceof Promise) waits.push(w.then(() => undefined));
      }
      return waits.length ? Promise.all(waits).then(() => undefined) : undefined;
    };
    if (enforced.length === 0) return shadows(true);
    const first = this.storeCall(ev, enforced, start.decisionId, dryRun, nowMsOf(ev, start.now));
    if (first instanceof Promise) return first.then((admitted) => shadows(admitted));
    return shadows(first);
  }

  /** One call to the store; returns whether it admitted (or a promise of it, for asynchronous stores). */
  private storeCall(ev: Evaluation, pending: PendingLimit[], id: string, dryRun: boolean, nowMs: number): boolean | Promise<boolean> {
    const store = this.limits.store;
    this.limitStats.checks++;
    const apply = (result: StoreResult): boolean => {
      if (!result.admitted && !dryRun) this.limitStats.refusals++;
      applyLimitOutcomes(ev, pending, result, dryRun);
      return result.admitted;
    };
    const fail = (e: unknown): boolean => {
      this.limitStats.storeErrors++;
      const open = this.limits.failMode === 'open';
      applyStoreFailure(ev, pending, e, open, store.name);
      return open;
    };
    try {
      const r = store.check(id, pending.map((p) => p.check), nowMs, dryRun, pending.map((p) => p.meta));
      return r instanceof Promise ? r.then(apply, fail) : apply(r);
    } catch (e) {
      return fail(e);
    }
  }

  private afterLimits(ev: Evaluation, start: Start, context: Readonly<Record<string, unknown>>, options: EvaluateOptions): Decision {
    const core = finish(ev);
    const notes = new Map<string, { matched: boolean; note: string; error?: boolean }>(
      ev.pending.map((p) => [`${p.policy.namespace}/${p.policy.name}/${p.rule.id}`, { matched: p.match !== undefined, note: p.note ?? '' }]),
    );
    // Limits whose expressions failed never reached the store: their errors are the note.
    for (const e of ev.errors) {
      if (!e.rule || !(e.part.startsWith('limit') || e.part.startsWith('budget'))) continue;
      const policy = start.active.set.policies.find((p) => p.name === e.policy);
      const key = `${policy?.namespace ?? ''}/${e.policy}/${e.rule}`;
      if (notes.has(key) && !notes.get(key)!.error && notes.get(key)!.note) continue;
      notes.set(key, { matched: e.effect === 'matched', note: `${e.part} failed: ${e.message}; ${e.effect === 'matched' ? 'counted as matched (fail closed)' : 'counted as not matched (fail_open)'}`, error: true });
    }
    const trace = options.trace ? this.trace(start.active, context, start.now, notes) : undefined;
    return this.stamp(core, start.active.set, false, start.t0, start.warnings, trace, start.decisionId);
  }

  private trace(active: Active, context: Readonly<Record<string, unknown>>, now: CelTimestamp | undefined, notes: LimitNotes | undefined): Decision['trace'] {
    active.traced ??= compilePolicySet(active.documents, { builtins: this.functions.builtins, functions: this.functions.custom, traced: true, cache: this.compiled }).set;
    return active.traced ? traceSet(active.traced, context, now, notes) : undefined;
  }

  /**
   * Settles the budgets a decision reserved with what the request actually
   * used. Budgets in dollars take `cost`, or price the tokens with the
   * pricing table; budgets in tokens take input_tokens + output_tokens.
   */
  async reportUsage(decisionId: string, usage: Usage, options: { readonly now?: Date | string | number } = {}): Promise<UsageResult> {
    if (typeof decisionId !== 'string' || decisionId === '') throw new TypeError('reportUsage: decisionId must be the decision_id of a decision');
    if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) {
      throw new TypeError('reportUsage: usage must be an object such as { input_tokens: 120, output_tokens: 300 } or { cost: 0.0042 }');
    }
    for (const k of Object.keys(usage)) {
      // A misspelt field (completion_tokens) would settle as zero use: an undercount nobody notices.
      if (!(USAGE_FIELDS as readonly string[]).includes(k)) throw new TypeError(`reportUsage: unknown usage field '${k}'; report input_tokens and output_tokens, or cost (dollars)`);
    }
    for (const k of USAGE_FIELDS) {
      const v = usage[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
        throw new RangeError(`reportUsage: ${k} must be a non-negative number, got ${typeof v === 'string' ? `string '${v}'` : String(v)}`);
      }
    }
    // The time the use is recorded at (late reports of rolling budgets count from then).
    const nowMs = options.now === undefined ? Date.now() : timestampMs(toTimestamp(options.now));
    // The decision's own reservations, and those of shadow budgets (reserved under ids of their own).
    const ids = [decisionId, ...this.current().set.policies.flatMap((p) => p.rules.filter((r) => r.budget && r.mode === 'shadow').map((r) => shadowDecisionId(decisionId, p.namespace, p.name, r.id)))];
    const results = await Promise.all(ids.map((id) => this.settleOne(id, usage, nowMs)));
    return { found: results.some((r) => r.found), settled: results.reduce((n, r) => n + r.settled, 0) };
  }

  private async settleOne(id: string, usage: Usage, nowMs: number): Promise<UsageResult> {
    const store = this.limits.store;
    const refs = await store.reservations(id);
    if (refs.length === 0) return { found: false, settled: 0 };
    const actual = new Map<number, number>();
    for (const ref of refs) actual.set(ref.index, this.actualUse(ref.meta, usage));
    const r = await store.settle(id, actual, nowMs);
    this.limitStats.settlements += r.settled;
    return { found: r.found, settled: r.settled };
  }

  /** The reported usage in a reservation's unit (whole units). */
  private actualUse(meta: string, usage: Usage): number {
    const m = JSON.parse(meta || '{}') as { u?: string; m?: string };
    const tokens = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
    if (m.u === 'tokens') {
      if (usage.input_tokens === undefined && usage.output_tokens === undefined) throw new RangeError('reportUsage: this budget counts tokens: report input_tokens and output_tokens');
      return toCount(tokens);
    }
    if (usage.cost !== undefined) return toMicros(usage.cost);
    if (m.m && this.limits.pricing && (usage.input_tokens !== undefined || usage.output_tokens !== undefined)) {
      const dollars = this.limits.pricing.cost(m.m, usage.input_tokens ?? 0, usage.output_tokens ?? 0);
      if (dollars !== undefined) return toMicros(dollars);
    }
    throw new RangeError('reportUsage: this budget counts dollars: report cost, or input_tokens and output_tokens of a model in the pricing table');
  }

  /** Releases the limit store (closing a Redis connection). */
  async close(): Promise<void> {
    await this.limits.store.close();
  }

  private stamp(core: DecisionCore, set: CompiledPolicySet, cached: boolean, t0: number, warnings: readonly string[], trace: Decision['trace'], decisionId?: string): Decision {
    // One shape for every decision (trace last, when present) keeps callers' property reads monomorphic.
    const d: { -readonly [K in keyof Decision]: Decision[K] } = {
      decision: core.decision,
      allowed: core.allowed,
      reason: core.reason,
      matched: core.matched,
      obligations: core.obligations,
      errors: core.errors,
      warnings,
      revision: set.revision,
      cached,
      evaluation_time_us: Math.round((performance.now() - t0) * 100_000) / 100,
      decision_id: decisionId ?? nextDecisionId(),
    };
    if (trace) d.trace = trace;
    return d;
  }

  /** The loaded policies, in evaluation order. */
  policies(): PolicySummary[] {
    return this.current().set.policies.map((p) => ({
      name: p.name,
      namespace: p.namespace,
      file: p.file,
      priority: p.priority,
      rules: p.rules.map((r) => ({ id: r.id, decision: r.decision, mode: r.mode })),
    }));
  }

  stats(): EngineStats {
    const set = this.current().set;
    return {
      revision: set.revision,
      policies: set.policies.length,
      rules: set.ruleCount,
      evaluations: this.evaluations,
      cache: this.cache?.stats() ?? { size: 0, hits: 0, misses: 0, evictions: 0, expirations: 0, approxBytes: 0 },
      compilationCache: { size: this.compiled?.size ?? 0, hits: this.compiled?.hits ?? 0, misses: this.compiled?.misses ?? 0 },
      reloads: this.reloads,
      reloadFailures: this.reloadFailures,
      limits: { store: this.limits.store.name, ...this.limitStats },
    };
  }

  /** Drops every cached decision (they are also invalidated by any reload, through the revision). */
  clearCache(): void {
    this.cache?.clear();
  }
}

const NO_WARNINGS: readonly string[] = Object.freeze([]);

interface Start {
  readonly t0: number;
  /** Assigned up front: limit reservations are recorded under it. */
  readonly decisionId: string;
  readonly active: Active;
  readonly warnings: readonly string[];
  readonly now: CelTimestamp | undefined;
}

/** The evaluation's time in epoch ms: the `now` option, or the clock read once by the activation. */
function nowMsOf(ev: Evaluation, now: CelTimestamp | undefined): number {
  return timestampMs(now ?? ev.activation.now());
}

function timestampMs(t: CelTimestamp): number {
  return t.seconds * 1000 + Math.floor(t.nanos / 1e6);
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
const NO_OPTIONS: EvaluateOptions = Object.freeze({});

function schemaDenial(problems: readonly string[]): DecisionCore {
  return {
    decision: 'deny',
    allowed: false,
    reason: `the context does not match the declared context schema: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`,
    matched: [],
    obligations: EMPTY_OBLIGATIONS,
    errors: [],
  };
}

function toTimestamp(now: Date | string | number): CelTimestamp {
  if (typeof now === 'string') {
    try {
      return parseTimestamp(now);
    } catch (e) {
      throw new RangeError(`options.now: ${(e as { message?: string }).message ?? String(e)}`);
    }
  }
  const ms = typeof now === 'number' ? now : now.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('options.now is not a valid time');
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  // Rounding can reach a whole second (1999.9999996 ms): carry it, nanos must stay below 1e9.
  if (nanos >= 1e9) {
    seconds++;
    nanos -= 1e9;
  }
  // Like a string, a number must name a time CEL can represent (years 1 to 9999).
  try {
    return checkTimestamp(seconds, nanos);
  } catch (e) {
    throw new RangeError(`options.now: ${(e as { message?: string }).message ?? String(e)}`);
  }
}
