// Benchmark scenarios, each meant to run in a process of its own: V8's type
// feedback is per process, so an uncached and a cached engine measured in
// one process slow each other down, which a deployment (one engine) never sees.

import { type LatencyStats, measureLatency, measureThroughput } from './measure.js';
import { loadReference } from './reference.js';
import { fileURLToPath } from 'node:url';
import { PolicyEngine } from '../engine/engine.js';
import { type EngineLimitResult, runEngineLimitBench } from './limits-engine.js';
import { type LimitBenchResult, runLimitBench } from './limits.js';
import { loadAndCompile } from '../engine/load-set.js';

export const SCENARIOS = ['uncached', 'cached', 'reference', 'llm', 'limits'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioResult {
  readonly name: string;
  readonly latency?: LatencyStats;
  readonly opsPerSecond?: number;
  /** Why the scenario did not run (reference not installed, or cannot parse the policies). */
  readonly skipped?: string;
  readonly version?: string;
  /** The reference disagreed with the engine on a context: the comparison would mean nothing. */
  readonly disagreement?: string;
  /** The limits scenario: store calls alone, and whole evaluations with limits. */
  readonly limits?: { readonly store: LimitBenchResult; readonly engine: EngineLimitResult };
}

/** The fixed LLM scenario: built-in functions on 2,000-character prompts (bench/llm/). */
export const LLM_POLICIES = fileURLToPath(new URL('../../bench/llm/policies/', import.meta.url));
export const LLM_CONTEXTS = fileURLToPath(new URL('../../bench/llm/contexts/', import.meta.url));

export interface ScenarioOptions {
  /** Redis for the limits scenario. */
  readonly redisUrl: string;
}

/**
 * Runs one scenario. `policies` and `contexts` are the set under test for
 * uncached, cached and reference; llm brings its own (the caller passes
 * LLM_POLICIES and LLM_CONTEXTS), limits needs none.
 */
export async function runScenario(name: ScenarioName, policies: string, contexts: Record<string, unknown>[], seconds: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const n = contexts.length;
  if (name === 'uncached' || name === 'cached' || name === 'llm') {
    const engine = await PolicyEngine.builder().withPolicyDir(policies).withCacheCapacity(name === 'cached' ? 10_000 : 0).build();
    const op = (i: number): unknown => engine.evaluateSync(contexts[i % n]!);
    const label = name === 'llm' ? 'engine llm built-ins' : `engine ${name}`;
    return { name: label, latency: measureLatency(op, seconds), opsPerSecond: measureThroughput(op, seconds).opsPerSecond };
  }
  if (name === 'limits') {
    const store = await runLimitBench(seconds, { url: options.redisUrl });
    // Redis already found unreachable: say so once instead of waiting for it again.
    const engine = await runEngineLimitBench(seconds, store.redis_skipped ? undefined : options.redisUrl);
    return { name: 'limits', limits: { store, engine } };
  }
  const engine = await PolicyEngine.builder().withPolicyDir(policies).withCacheCapacity(0).build();
  // The reference lacks some of our syntax (optional fields `x.?f`, ...): say so instead of failing.
  const { set } = await loadAndCompile([{ kind: 'path', path: policies }]);
  let ref;
  try {
    ref = await loadReference(set!);
  } catch (e) {
    return { name: '@bufbuild/cel', skipped: `the reference interpreter @bufbuild/cel cannot run these policies (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})` };
  }
  if (!ref) return { name: '@bufbuild/cel', skipped: 'reference interpreter @bufbuild/cel not installed (it is a dev dependency)' };
  // Same answers first: the comparison means nothing otherwise.
  for (const ctx of contexts) {
    const ours = engine.evaluateSync(ctx).matched.map((m) => `${m.policy}/${m.rule}`).sort();
    const theirs = ref.evaluate(ctx).sort();
    if (ours.join() !== theirs.join()) {
      return { name: `@bufbuild/cel ${ref.version}`, disagreement: `reference disagrees on a context: ours [${ours.join(', ')}], reference [${theirs.join(', ')}]` };
    }
  }
  const op = (i: number): unknown => ref.evaluate(contexts[i % n]!);
  return { name: `@bufbuild/cel ${ref.version}`, version: ref.version, latency: measureLatency(op, seconds), opsPerSecond: measureThroughput(op, seconds).opsPerSecond };
}
