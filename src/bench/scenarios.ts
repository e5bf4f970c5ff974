// Benchmark scenarios, each meant to run in a process of its own: V8's type
// feedback is per process, so an uncached and a cached engine measured in
// one process slow each other down, which a deployment (one engine) never sees.

import { type LatencyStats, measureLatency, measureThroughput } from './measure.js';
import { loadReference } from './reference.js';
import { PolicyEngine } from '../engine/engine.js';
import { loadAndCompile } from '../engine/load-set.js';

export const SCENARIOS = ['uncached', 'cached', 'reference'] as const;
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
}

export async function runScenario(name: ScenarioName, policies: string, contexts: Record<string, unknown>[], seconds: number): Promise<ScenarioResult> {
  const n = contexts.length;
  if (name === 'uncached' || name === 'cached') {
    const engine = await PolicyEngine.builder().withPolicyDir(policies).withCacheCapacity(name === 'cached' ? 10_000 : 0).build();
    const op = (i: number): unknown => engine.evaluateSync(contexts[i % n]!);
    return { name: `engine ${name}`, latency: measureLatency(op, seconds), opsPerSecond: measureThroughput(op, seconds).opsPerSecond };
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
