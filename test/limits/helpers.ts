// Shared by the limit and budget tests: a small fixed price table, policy
// documents written as plain objects (JSON is YAML), engines over them, and
// limit stores that record, fail or answer asynchronously.

import { PolicyEngine, type PolicyEngineBuilder } from '../../src/engine/engine.js';
import type { Decision } from '../../src/engine/decision.js';
import type { Pricing } from '../../src/engine/stateful.js';
import { MemoryLimitStore } from '../../src/limits/memory-store.js';
import type { Check, LimitStore, ReservationRef, SettleResult, StoreResult } from '../../src/limits/types.js';

export type Obj = Record<string, unknown>;

/** Micro-dollars per input and per output token: big $2/$10 per million, mid $1/$5, small $0.10/$0.50. */
export const PRICES: Readonly<Record<string, readonly [number, number]>> = { big: [2, 10], mid: [1, 5], small: [0.1, 0.5] };

/** Dollars for a request, as the test pricing computes it. */
export function price(model: string, input: number, output: number): number {
  const p = PRICES[model]!;
  return (p[0] * input + p[1] * output) / 1e6;
}

export const pricing: Pricing = {
  cost: (model, input, output) => (PRICES[model] ? price(model, input, output) : undefined),
  cheaperModels: (model) => ({ big: ['mid', 'small'], mid: ['small'] })[model] ?? [],
};

/** Monday 2 March 2026, 10:00 UTC. */
export const T0 = Date.parse('2026-03-02T10:00:00Z');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function policy(name: string, rules: Obj[], spec: Obj = {}, metadata: Obj = {}): Obj {
  return { apiVersion: 'policy.llm/v1', kind: 'Policy', metadata: { name, ...metadata }, spec: { ...spec, rules } };
}

export function yamlOf(...docs: Obj[]): string {
  return docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';
}

/** A limit store that records every call (and the store's answer) before passing it to an in-memory store. */
export class SpyStore implements LimitStore {
  readonly synchronous = true;
  readonly name = 'spy';
  readonly inner = new MemoryLimitStore();
  readonly calls: { decisionId: string; checks: readonly Check[]; nowMs: number; dryRun: boolean; result: StoreResult }[] = [];

  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, meta: readonly (string | undefined)[]): StoreResult {
    const result = this.inner.check(decisionId, checks, nowMs, dryRun, meta);
    this.calls.push({ decisionId, checks, nowMs, dryRun, result });
    return result;
  }
  reservations(decisionId: string): ReservationRef[] {
    return this.inner.reservations(decisionId);
  }
  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): SettleResult {
    return this.inner.settle(decisionId, actual, nowMs);
  }
  close(): void {
    this.inner.close();
  }
  get last(): SpyStore['calls'][number] {
    const c = this.calls.at(-1);
    if (!c) throw new Error('the store was never called');
    return c;
  }
  /** What the key of `rule` held before the last call (the rule's check is found by its storage key). */
  usedBy(rule: string): number {
    const i = this.last.checks.findIndex((c) => c.key.includes(`/${rule}:`));
    if (i < 0) throw new Error(`rule ${rule} was not checked in the last call`);
    return this.last.result.outcomes[i]!.used;
  }
}

/** The in-memory store behind a promise-returning face, answering after `delay()` turns of the event loop. */
export class AsyncStore implements LimitStore {
  readonly synchronous = false;
  readonly name = 'async';
  readonly inner = new MemoryLimitStore();
  constructor(private readonly delay: () => number = () => 0) {}
  private async later<T>(f: () => T): Promise<T> {
    for (let n = this.delay(); n > 0; n--) await new Promise((r) => setImmediate(r));
    return f();
  }
  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, meta: readonly (string | undefined)[]): Promise<StoreResult> {
    return this.later(() => this.inner.check(decisionId, checks, nowMs, dryRun, meta));
  }
  reservations(decisionId: string): Promise<ReservationRef[]> {
    return this.later(() => this.inner.reservations(decisionId));
  }
  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): Promise<SettleResult> {
    return this.later(() => this.inner.settle(decisionId, actual, nowMs));
  }
  close(): void {}
}

/** A store that cannot be reached: check throws (or rejects, when asynchronous) while `down` is true. */
export class BrokenStore implements LimitStore {
  readonly name = 'broken';
  readonly inner = new MemoryLimitStore();
  down = true;
  constructor(readonly synchronous = true) {}
  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, meta: readonly (string | undefined)[]): StoreResult | Promise<StoreResult> {
    if (this.down) {
      const e = new Error('connection refused');
      if (!this.synchronous) return Promise.reject(e);
      throw e;
    }
    const r = this.inner.check(decisionId, checks, nowMs, dryRun, meta);
    return this.synchronous ? r : Promise.resolve(r);
  }
  reservations(decisionId: string): ReservationRef[] {
    return this.inner.reservations(decisionId);
  }
  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): SettleResult {
    return this.inner.settle(decisionId, actual, nowMs);
  }
  close(): void {}
}

export interface BuildOptions {
  readonly store?: LimitStore;
  readonly failMode?: 'open' | 'closed';
  readonly pricing?: boolean;
  readonly configure?: (b: PolicyEngineBuilder) => PolicyEngineBuilder;
}

/** An engine over `docs` (one inline file, x.yaml) with the test pricing, the decision cache off. */
export function engineOf(docs: Obj[] | string, opts: BuildOptions = {}): Promise<PolicyEngine> {
  let b = PolicyEngine.builder()
    .withPolicyText(typeof docs === 'string' ? docs : yamlOf(...docs), 'x.yaml')
    .withCacheCapacity(0);
  if (opts.pricing !== false) b = b.withPricing(pricing);
  if (opts.store) b = b.withLimitStore(opts.store, opts.failMode ? { failMode: opts.failMode } : {});
  else if (opts.failMode) b = b.withLimitStore(new MemoryLimitStore(), { failMode: opts.failMode });
  if (opts.configure) b = opts.configure(b);
  return b.build();
}

/** `policy/rule` of every matched rule, with its decision and mode. */
export function matches(d: Decision): string[] {
  return d.matched.map((m) => `${m.policy}/${m.rule}:${m.decision}${m.mode === 'shadow' ? ':shadow' : ''}`);
}

/** The trace entry of `rule`. */
export function traceOf(d: Decision, rule: string): NonNullable<Decision['trace']>[number] {
  const e = d.trace?.find((t) => t.rule === rule);
  if (!e) throw new Error(`no trace entry for ${rule}`);
  return e;
}

export { prng } from '../engine/helpers.js';
