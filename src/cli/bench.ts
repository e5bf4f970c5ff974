// `policy-engine bench`: latency and throughput of the embedded engine on one
// core, uncached and cached, the compile time, and the same conditions run by
// the reference CEL interpreter (@bufbuild/cel) when it is installed. Each
// scenario runs in a child process of its own (see bench/scenarios.ts).

import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { type LatencyStats, formatNs } from '../bench/measure.js';
import { LLM_CONTEXTS, LLM_POLICIES, SCENARIOS, type ScenarioName, type ScenarioResult, runScenario } from '../bench/scenarios.js';
import { loadAndCompile } from '../engine/load-set.js';
import { UsageError, toJsonText } from './output.js';

const BUNDLED = fileURLToPath(new URL('../../bench/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/policy-engine.js', import.meta.url));

export interface BenchOptions {
  readonly policies?: string;
  readonly input?: string;
  readonly seconds: string;
  readonly json?: boolean;
  /** Comma-separated scenario names (default: all). */
  readonly only?: string;
  readonly redisUrl: string;
  /** Internal: run one scenario in this process and print its result as JSON. */
  readonly scenario?: string;
}

async function readContexts(inputDir: string): Promise<Record<string, unknown>[]> {
  // A missing directory or a bad context used to end in a stack trace (exit 1); both are bad usage.
  const files = (
    await readdir(inputDir).catch(() => {
      throw new UsageError(`--input ${inputDir}: not a readable directory of .json contexts`);
    })
  )
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (!files.length) throw new UsageError(`${inputDir} has no .json contexts`);
  return Promise.all(
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
}

function inChild(name: ScenarioName, policies: string, input: string, seconds: number, redisUrl: string): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'bench', '--scenario', name, '--policies', policies, '--input', input, '--seconds', String(seconds), '--redis-url', redisUrl],
      { maxBuffer: 16 * 1024 * 1024, timeout: Math.max(60_000, seconds * 10_000) },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`benchmark scenario ${name} failed: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as ScenarioResult);
      },
    );
  });
}

export async function benchCommand(o: BenchOptions): Promise<number> {
  const seconds = Number(o.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--seconds must be a positive number, got ${o.seconds}`);
  const policies = o.policies ?? join(BUNDLED, 'policies');
  const inputDir = o.input ?? join(BUNDLED, 'contexts');
  const contexts = await readContexts(inputDir);

  if (o.scenario !== undefined) {
    if (!(SCENARIOS as readonly string[]).includes(o.scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}`);
    console.log(toJsonText(await runScenario(o.scenario as ScenarioName, policies, contexts, seconds, { redisUrl: o.redisUrl })));
    return 0;
  }
  const only = o.only === undefined ? [...SCENARIOS] : o.only.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const x of only) if (!(SCENARIOS as readonly string[]).includes(x)) throw new UsageError(`--only: unknown scenario '${x}'; scenarios are ${SCENARIOS.join(', ')}`);
  if (only.length === 0) throw new UsageError(`--only needs at least one of ${SCENARIOS.join(', ')}`);
  const run = (s: ScenarioName): boolean => only.includes(s);

  const log = (s: string): void => {
    if (!o.json) console.log(s);
  };

  // Compile time: a cold compile (this process has compiled nothing yet), then the median of warm recompiles.
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
  log('');
  log('one core, whole policy set per evaluation (decision, reasons, obligations, id, timing), each scenario in its own process:');

  const results: Record<string, unknown> = { policies: set.policies.length, rules: set.ruleCount, contexts: contexts.length, compile_ms: { cold: coldMs, warm: warm[2] } };
  const rows: ScenarioResult[] = [];
  // One at a time: scenarios measured side by side would compete for the cores.
  for (const s of ['uncached', 'cached', 'reference'] as const) if (run(s)) rows.push(await inChild(s, policies, inputDir, seconds, o.redisUrl));
  for (const r of rows) {
    if (r.disagreement) {
      console.error(r.disagreement);
      return 1;
    }
    if (r.skipped) {
      log(`\n${r.skipped}: comparison skipped`);
      results.reference_skipped = r.skipped;
      continue;
    }
    const l = r.latency!;
    results[r.name] = { p50_ns: l.p50, p90_ns: l.p90, p99_ns: l.p99, mean_ns: l.mean, samples: l.samples, ops_per_second: r.opsPerSecond };
    log(latencyLine(r.name, l, r.opsPerSecond!));
  }
  const ours = rows.find((r) => r.name === 'engine uncached');
  const ref = rows.find((r) => r.version !== undefined);
  if (ref?.latency && ours?.latency) {
    const p50Ratio = ref.latency.p50 / ours.latency.p50;
    const opsRatio = ours.opsPerSecond! / ref.opsPerSecond!;
    results.reference = { name: '@bufbuild/cel', version: ref.version, p50_ratio: p50Ratio, throughput_ratio: opsRatio };
    log(`\nspeed-up over the reference interpreter: ${p50Ratio.toFixed(1)}x at p50, ${opsRatio.toFixed(1)}x in throughput (same conditions, same answers)`);
  }

  if (run('llm')) {
    const r = await inChild('llm', LLM_POLICIES, LLM_CONTEXTS, seconds, o.redisUrl);
    const l = r.latency!;
    log(`\nLLM built-ins — tokens, cost, pii, secrets, injection on 2,000-character prompts (${LLM_POLICIES}):`);
    log(latencyLine(r.name, l, r.opsPerSecond!));
    results.llm = { p50_ns: l.p50, p90_ns: l.p90, p99_ns: l.p99, mean_ns: l.mean, samples: l.samples, ops_per_second: r.opsPerSecond };
  }
  if (run('limits')) {
    const { store, engine } = (await inChild('limits', policies, inputDir, seconds, o.redisUrl)).limits!;
    log('\nlimits — one rate limit and one budget, one call at a time:');
    log(`${'memory store check'.padEnd(28)} p50 ${formatUs(store.memory.p50_us)}  p99 ${formatUs(store.memory.p99_us)}  mean ${formatUs(store.memory.mean_us)}  ${store.memory.ops_per_second.toLocaleString('en-US').padStart(11)} checks/s`);
    if (store.redis) {
      log(`${'redis store check'.padEnd(28)} p50 ${formatUs(store.redis.p50_us)}  p99 ${formatUs(store.redis.p99_us)}  mean ${formatUs(store.redis.mean_us)}  ${store.redis.ops_per_second.toLocaleString('en-US').padStart(11)} checks/s`);
      log(`${'redis PING, for scale'.padEnd(28)} p50 ${formatUs(store.redis_ping!.p50_us)}  p99 ${formatUs(store.redis_ping!.p99_us)}`);
      log(`redis round trips per check: ${store.round_trips_per_check} (${store.redis_url})`);
    } else log(`redis: skipped — ${store.redis_skipped}`);
    log(latencyLine('evaluation + limits, memory', engine.memory));
    if (engine.redis) log(latencyLine('evaluation + limits, redis', engine.redis));
    results.limits = { store, engine };
  }
  if (o.json) console.log(toJsonText(results));
  return 0;
}

function latencyLine(name: string, l: LatencyStats, opsPerSecond?: number): string {
  const ops = opsPerSecond === undefined ? '' : `  ${Math.round(opsPerSecond).toLocaleString('en-US').padStart(11)} evals/s`;
  return `${name.padEnd(28)} p50 ${formatNs(l.p50).padStart(9)}  p99 ${formatNs(l.p99).padStart(9)}  mean ${formatNs(l.mean).padStart(9)}${ops}`;
}

const formatUs = (us: number): string => formatNs(us * 1000).padStart(9);
