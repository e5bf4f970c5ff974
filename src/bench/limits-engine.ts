// `policy-engine bench` scenario for a whole evaluation with limits: a policy
// set with one rate limit and one budget, evaluated end to end (rules, store
// call, decision), with the memory store (evaluateSync) and with Redis
// (evaluate). What a gateway pays per request for enforcing both. Every
// admitted decision's usage is reported, untimed, so reservations settle as
// in production. Prints nothing; returns the numbers.

import { randomBytes } from 'node:crypto';
import { PolicyEngine } from '../engine/engine.js';
import { RedisLimitStore } from '../limits/redis-store.js';
import type { Decision } from '../engine/decision.js';
import { deletePrefix } from './limits.js';
import type { LatencyStats } from './measure.js';

const POLICY = `
apiVersion: policy.llm/v1
kind: Policy
metadata: { name: limits, namespace: bench }
spec:
  rules:
    - id: requests-per-minute
      limit: { key: "user.id", requests: 1000000000, window: 1m }
      decision: throttle
    - id: team-daily-spend
      budget:
        key: "user.team"
        limit: 1000000
        period: day
        usage: { model: request.model, input_tokens: "size(request.prompt) / 4", output_tokens: request.max_tokens }
        reservation_ttl: 10s
      decision: deny
`;

export interface EngineLimitResult {
  readonly memory: LatencyStats;
  readonly redis?: LatencyStats;
  readonly redis_skipped?: string;
}

const contexts = Array.from({ length: 100 }, (_, i) => ({
  user: { id: `user-${i}`, team: `team-${i % 10}` },
  request: { model: 'gpt-4o-mini', max_tokens: 500, prompt: 'Summarise the quarterly report in three bullet points.' },
}));

/**
 * Times `op` one call at a time (awaiting it when it returns a promise), then
 * runs `after` on its result untimed — reporting usage, as a gateway does once
 * the LLM has answered.
 */
async function measureCalls<T>(op: (i: number) => T | Promise<T>, after: (r: T) => Promise<unknown>, seconds: number): Promise<LatencyStats> {
  let i = 0;
  const one = async (samples?: number[]): Promise<void> => {
    const t0 = process.hrtime.bigint();
    const p = op(i++);
    const r = p instanceof Promise ? await p : p;
    samples?.push(Number(process.hrtime.bigint() - t0));
    await after(r);
  };
  const warmEnd = performance.now() + (seconds * 1000) / 4;
  while (performance.now() < warmEnd) await one();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) await one(samples);
  samples.sort((a, b) => a - b);
  const pct = (p: number): number => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  return { samples: samples.length, p50: pct(50), p90: pct(90), p99: pct(99), mean: samples.reduce((s, x) => s + x, 0) / samples.length };
}

async function timeEngine(engine: PolicyEngine, sync: boolean, seconds: number): Promise<LatencyStats> {
  const pick = (i: number) => contexts[i % contexts.length]!;
  return measureCalls<Decision>(
    sync ? (i) => engine.evaluateSync(pick(i)) : (i) => engine.evaluate(pick(i)),
    async (d) => {
      if (!d.allowed) throw new Error(`the benchmark's limits refused a request: ${d.reason}`);
      await engine.reportUsage(d.decision_id, { input_tokens: 12, output_tokens: 200 });
    },
    seconds,
  );
}

/** The memory store, then Redis at `url` (none: memory only). */
export async function runEngineLimitBench(seconds: number, url: string | undefined): Promise<EngineLimitResult> {
  const memEngine = await PolicyEngine.builder().withPolicyText(POLICY, 'bench-limits.yaml').build();
  const memory = await timeEngine(memEngine, true, seconds);
  await memEngine.close();
  if (url === undefined) return { memory };

  const prefix = `policy-engine-bench:${randomBytes(4).toString('hex')}:`;
  const store = new RedisLimitStore({ url, keyPrefix: prefix, commandTimeoutMs: 1000 });
  try {
    await store.ready(2000);
  } catch (e) {
    await store.close();
    return { memory, redis_skipped: `Redis at ${url} unreachable: ${e instanceof Error ? e.message : String(e)}` };
  }
  const engine = await PolicyEngine.builder().withPolicyText(POLICY, 'bench-limits.yaml').withLimitStore(store).build();
  try {
    return { memory, redis: await timeEngine(engine, false, seconds) };
  } finally {
    await deletePrefix(store, prefix).catch(() => undefined);
    await engine.close();
  }
}
