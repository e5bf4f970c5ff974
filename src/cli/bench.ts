// `policy-engine bench`: latency and throughput of the embedded engine on one
// core, uncached and cached, the compile time, and the same conditions run by
// the reference CEL interpreter (@bufbuild/cel) when it is installed.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { type LatencyStats, formatNs, measureLatency, measureThroughput } from '../bench/measure.js';
import { loadReference } from '../bench/reference.js';
import { PolicyEngine } from '../engine/engine.js';
import { loadAndCompile } from '../engine/load-set.js';
import { UsageError, toJsonText } from './output.js';

const BUNDLED = fileURLToPath(new URL('../../bench/', import.meta.url));

export async function benchCommand(o: { policies?: string; input?: string; seconds: string; json?: boolean }): Promise<number> {
  const seconds = Number(o.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--seconds must be a positive number, got ${o.seconds}`);
  const policies = o.policies ?? join(BUNDLED, 'policies');
  const inputDir = o.input ?? join(BUNDLED, 'contexts');
  // A missing directory or a bad context used to end in a stack trace (exit 1); both are bad usage.
  const files = (
    await readdir(inputDir).catch(() => {
      throw new UsageError(`--input ${inputDir}: not a readable directory of .json contexts`);
    })
  )
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (!files.length) throw new UsageError(`${inputDir} has no .json contexts`);
  const contexts = await Promise.all(
    files.map(async (f) => {
      const v: unknown = await readFile(join(inputDir, f), 'utf8')
        .then((text) => JSON.parse(text) as unknown)
        .catch((e: unknown) => {
          throw new UsageError(`${join(inputDir, f)}: not valid JSON: ${(e as Error).message}`);
        });
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${join(inputDir, f)}: the context must be a JSON object`);
      return v as Record<string, unknown>;
    }),
  );
  const log = (s: string): void => {
    if (!o.json) console.log(s);
  };

  // Compile time: a cold compile, then the median of warm recompiles without the compilation cache.
  let t = performance.now();
  const first = await loadAndCompile([{ kind: 'path', path: policies }]);
  const coldMs = performance.now() - t;
  if (!first.set) {
    console.error('the benchmark policies do not compile:');
    for (const d of first.diagnostics) console.error(`${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.message}`);
    return 1;
  }
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await loadAndCompile([{ kind: 'path', path: policies }]);
    warm.push(performance.now() - t);
  }
  warm.sort((a, b) => a - b);
  const set = first.set;
  log(`policy set: ${set.policies.length} policies, ${set.ruleCount} rules, ${contexts.length} contexts (${policies})`);
  log(`compile (load + parse + check + compile): cold ${coldMs.toFixed(1)} ms, warm ${warm[2]!.toFixed(1)} ms`);

  const uncached = await PolicyEngine.builder().withPolicyDir(policies).withCacheCapacity(0).build();
  const cached = await PolicyEngine.builder().withPolicyDir(policies).withCacheCapacity(10_000).build();
  const n = contexts.length;
  const evalUncached = (i: number): unknown => uncached.evaluateSync(contexts[i % n]!);
  const evalCached = (i: number): unknown => cached.evaluateSync(contexts[i % n]!);

  const results: Record<string, unknown> = { policies: set.policies.length, rules: set.ruleCount, contexts: n, compile_ms: { cold: coldMs, warm: warm[2] } };
  const row = (name: string, l: LatencyStats, opsPerSecond: number): void => {
    results[name] = { p50_ns: l.p50, p90_ns: l.p90, p99_ns: l.p99, mean_ns: l.mean, samples: l.samples, ops_per_second: opsPerSecond };
    log(`${name.padEnd(28)} p50 ${formatNs(l.p50).padStart(9)}  p99 ${formatNs(l.p99).padStart(9)}  mean ${formatNs(l.mean).padStart(9)}  ${Math.round(opsPerSecond).toLocaleString('en-US').padStart(11)} evals/s`);
  };
  log('');
  log('one core, whole policy set per evaluation (decision, reasons, obligations, id, timing):');
  row('engine uncached', measureLatency(evalUncached, seconds), measureThroughput(evalUncached, seconds).opsPerSecond);
  row('engine cached', measureLatency(evalCached, seconds), measureThroughput(evalCached, seconds).opsPerSecond);

  // The reference interpreter lacks some of our syntax (optional fields `x.?f`, ...): planning
  // such a set used to throw out of the command with a stack trace after the engine rows were
  // printed. Skip the comparison instead, saying why.
  let ref: Awaited<ReturnType<typeof loadReference>>;
  let refProblem: string | undefined;
  try {
    ref = await loadReference(set);
  } catch (e) {
    refProblem = e instanceof Error ? e.message : String(e);
  }
  if (refProblem !== undefined) {
    log(`\nthe reference interpreter @bufbuild/cel cannot run these policies (${refProblem.split('\n')[0]}): comparison skipped`);
    results.reference_skipped = refProblem.split('\n')[0];
  } else if (!ref) {
    log('\nreference interpreter @bufbuild/cel not installed (it is a dev dependency): comparison skipped');
  } else {
    // Same answers first: the comparison means nothing otherwise.
    for (const ctx of contexts) {
      const ours = uncached.evaluateSync(ctx).matched.map((m) => `${m.policy}/${m.rule}`).sort();
      const theirs = ref.evaluate(ctx).sort();
      if (ours.join() !== theirs.join()) {
        console.error(`reference disagrees on a context: ours [${ours.join(', ')}], reference [${theirs.join(', ')}]`);
        return 1;
      }
    }
    const evalRef = (i: number): unknown => ref.evaluate(contexts[i % n]!);
    const refLat = measureLatency(evalRef, seconds);
    const refOps = measureThroughput(evalRef, seconds).opsPerSecond;
    row(`@bufbuild/cel ${ref.version}`, refLat, refOps);
    const oursP50 = (results['engine uncached'] as { p50_ns: number }).p50_ns;
    const oursOps = (results['engine uncached'] as { ops_per_second: number }).ops_per_second;
    results.reference = { name: '@bufbuild/cel', version: ref.version, p50_ratio: refLat.p50 / oursP50, throughput_ratio: oursOps / refOps };
    log(`\nspeed-up over the reference interpreter: ${(refLat.p50 / oursP50).toFixed(1)}x at p50, ${(oursOps / refOps).toFixed(1)}x in throughput (same conditions, same answers)`);
  }
  if (o.json) console.log(toJsonText(results));
  return 0;
}
