// The embedded engine: load → compile → evaluate, with a decision cache and
// atomic reloads. The public face of the library (see README "Library API").

import { nextDecisionId } from './decision-id.js';
import { performance } from 'node:perf_hooks';
import { type KeyReader, buildKeyReader } from '../cache/cache-key.js';
import { DecisionCache, type CacheStats, type EvictionPolicy } from '../cache/decision-cache.js';
import type { FunctionDecl } from '../cel/library/overload.js';
import { checkTimestamp, parseTimestamp } from '../cel/runtime/time.js';
import type { CelTimestamp } from '../cel/values.js';
import type { Diagnostic, Document } from '../policy/types.js';
import type { Decision } from './decision.js';
import { type DecisionCore, EMPTY_OBLIGATIONS, evaluateSet } from './evaluate.js';
import { type PolicySource, loadAndCompile } from './load-set.js';
import { CompilationCache, type CompiledPolicySet, compilePolicySet } from './policy-set.js';
import { traceSet } from './trace.js';

export interface EvaluateOptions {
  /** Include a trace explaining every rule (slower; bypasses the cache). */
  readonly trace?: boolean;
  /** The time now() returns (Date, RFC 3339 string or epoch ms); default: the real clock. */
  readonly now?: Date | string | number;
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

  /** Loads and compiles the policies; rejects with PolicyLoadError listing every problem. */
  async build(): Promise<PolicyEngine> {
    if (this.sources.length === 0) throw new Error('no policies: call withPolicyFile(), withPolicyDir() or withPolicyText() before build()');
    const engine = new PolicyEngine([...this.sources], this.decisionCache, this.compilationCache, [...this.functions]);
    const r = await engine.reload();
    if (!r.ok) throw new PolicyLoadError(r.diagnostics);
    return engine;
  }
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

  /** Use PolicyEngine.builder(). */
  constructor(
    private readonly sources: readonly Source[],
    private readonly cacheConfig: DecisionCacheConfig,
    compilationConfig: CompilationCacheConfig,
    private readonly functions: readonly FunctionDecl[],
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
    const r = await loadAndCompile(this.sources, { functions: this.functions, cache: this.compiled });
    if (!r.set) {
      this.reloadFailures++;
      return { ok: false, revision: this.active?.set.revision ?? '', diagnostics: r.diagnostics };
    }
    const key = this.cache && r.set.deterministic ? buildKeyReader(r.set.reads) : undefined;
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

  /** Evaluates a context. Async for API stability: later policy features (shared limits) need I/O. */
  async evaluate(context: Readonly<Record<string, unknown>>, options: EvaluateOptions = {}): Promise<Decision> {
    return this.evaluateSync(context, options);
  }

  /** Evaluates synchronously: for policy sets that need no I/O (no shared-state limits). */
  evaluateSync(context: Readonly<Record<string, unknown>>, options: EvaluateOptions = NO_OPTIONS): Decision {
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
        if (set.settings.schemaViolation === 'deny') return this.stamp(schemaDenial(problems), set, false, t0, [], undefined);
        warnings = problems;
      }
    }
    const now = options.now === undefined ? undefined : toTimestamp(options.now);
    let hash: number | undefined;
    // A custom function may evaluate through this engine while an evaluation is running:
    // the nested one gets its own key buffer so it cannot overwrite the outer key.
    const leaves = this.depth === 0 ? this.leaves : [];
    if (active.key && !options.trace) {
      hash = active.key(context, leaves);
      if (hash !== undefined) {
        const hit = this.cache!.get(hash, leaves, t0);
        if (hit) return this.stamp(hit, set, true, t0, warnings, undefined);
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
    let trace;
    if (options.trace) {
      active.traced ??= compilePolicySet(active.documents, { functions: this.functions, traced: true, cache: this.compiled }).set;
      if (active.traced) trace = traceSet(active.traced, context, now);
    }
    return this.stamp(core, set, false, t0, warnings, trace);
  }

  private stamp(core: DecisionCore, set: CompiledPolicySet, cached: boolean, t0: number, warnings: readonly string[], trace: Decision['trace']): Decision {
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
      decision_id: nextDecisionId(),
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
    };
  }

  /** Drops every cached decision (they are also invalidated by any reload, through the revision). */
  clearCache(): void {
    this.cache?.clear();
  }
}

const NO_WARNINGS: readonly string[] = Object.freeze([]);

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
