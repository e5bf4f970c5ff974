// `policy-engine bench` scenario for limits: the latency of one limit-store
// call holding one rate limit and one budget — what an evaluation with both
// costs on top of its rules — in the memory store and in Redis, measured from
// one process, one call at a time. For Redis it also counts the commands sent
// per check: every check must be exactly one round trip (one EVALSHA).
// Prints nothing; returns the numbers.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MemoryLimitStore } from '../limits/memory-store.js';
import { RedisLimitStore } from '../limits/redis-store.js';
import type { Check, LimitStore } from '../limits/types.js';

export interface LimitLatency {
  /** Checks timed (after a warm-up of a quarter of the time). */
  readonly samples: number;
  /** Microseconds per check. */
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  readonly mean_us: number;
  /** Checks per second, one at a time. */
  readonly ops_per_second: number;
}

export interface LimitBenchResult {
  /** Seconds measured per store. */
  readonly seconds: number;
  readonly memory: LimitLatency;
  /** Absent when Redis could not be reached (see redis_skipped). */
  readonly redis?: LimitLatency;
  readonly redis_skipped?: string;
  /** A bare PING on the same connection, for scale: the round trip without the script. */
  readonly redis_ping?: LimitLatency;
  /** Redis commands sent per check while measuring: 1 means one round trip. */
  readonly round_trips_per_check?: number;
  readonly redis_url?: string;
}

export interface LimitBenchOptions {
  /** Default redis://127.0.0.1:6379. */
  readonly url?: string;
}

const USERS = 100;
const TEAMS = 10;
const META: readonly (string | undefined)[] = [undefined, JSON.stringify({ u: 'usd', m: 'gpt-4o' })];

/** One evaluation's call: a per-user rate limit and a per-team monthly budget (reserve $0.03, lapse after 1 s). */
function checksFor(i: number, nowMs: number): Check[] {
  return [
    { kind: 'window', key: `lim:bench/limits/rpm:user-${i % USERS}`, amount: 1, capacity: 1e12, windowMs: 1000 },
    { kind: 'calendar', key: `bud:bench/limits/spend:team-${i % TEAMS}:bench`, amount: 30_000, capacity: 1e15, periodEndMs: nowMs + 86_400_000, reservationTtlMs: 1000 },
  ];
}

function stats(samplesNs: number[], wallMs: number): LimitLatency {
  const n = samplesNs.length;
  const sorted = Float64Array.from(samplesNs).sort();
  const pct = (p: number): number => sorted[Math.min(n - 1, Math.floor((p / 100) * n))]! / 1000;
  const mean = samplesNs.reduce((s, x) => s + x, 0) / Math.max(1, n) / 1000;
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { samples: n, p50_us: r(pct(50)), p90_us: r(pct(90)), p99_us: r(pct(99)), mean_us: r(mean), ops_per_second: Math.round(n / (wallMs / 1000)) };
}

/**
 * Times `store.check` for about `seconds` (after a quarter of that to warm up).
 * Every admitted decision is then settled, untimed, so records do not pile up.
 */
async function measure(store: LimitStore, seconds: number, idPrefix: string, onMeasureStart?: () => void): Promise<LimitLatency> {
  let i = 0;
  const one = async (timed: number[] | undefined): Promise<void> => {
    const id = `${idPrefix}${i}`;
    const now = Date.now();
    const checks = checksFor(i++, now);
    const t0 = process.hrtime.bigint();
    const r = store.check(id, checks, now, false, META);
    const result = r instanceof Promise ? await r : r;
    const t1 = process.hrtime.bigint();
    timed?.push(Number(t1 - t0));
    if (store.synchronous && result.admitted) store.settle(id, new Map([[1, 30_000]]), now);
  };
  const warmEnd = performance.now() + (seconds * 1000) / 4;
  while (performance.now() < warmEnd) await one(undefined);
  onMeasureStart?.();
  const samples: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) await one(samples);
  return stats(samples, performance.now() - start);
}

/** Latency of one rate limit + one budget checked in one store call: memory vs Redis, and Redis round trips per check. */
export async function runLimitBench(seconds: number, options: LimitBenchOptions = {}): Promise<LimitBenchResult> {
  if (!(seconds > 0)) throw new RangeError(`seconds must be positive, got ${seconds}`);
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const memoryStore = new MemoryLimitStore();
  const memory = await measure(memoryStore, seconds, 'bench-');
  memoryStore.close();

  const prefix = `policy-engine-bench:${randomBytes(4).toString('hex')}:`;
  const store = new RedisLimitStore({ url, keyPrefix: prefix, commandTimeoutMs: 1000 });
  try {
    try {
      await store.ready(2000);
    } catch (e) {
      return { seconds, memory, redis_skipped: `Redis at ${url} unreachable: ${e instanceof Error ? e.message : String(e)}`, redis_url: url };
    }
    const redisPing = await pingLatency(store, Math.min(1, seconds / 4));
    // Count every command the connection sends.
    const client = store.redis as unknown as { sendCommand: (...args: unknown[]) => unknown };
    const send = client.sendCommand.bind(client);
    let commands = 0;
    client.sendCommand = (...args: unknown[]) => {
      commands++;
      return send(...args);
    };
    let checksAtStart = 0;
    let commandsAtStart = 0;
    const redis = await measure(store, seconds, `${randomBytes(6).toString('hex')}-`, () => {
      checksAtStart = store.status().calls;
      commandsAtStart = commands;
    });
    const checks = store.status().calls - checksAtStart;
    const roundTrips = (commands - commandsAtStart) / Math.max(1, checks);
    client.sendCommand = send;
    return { seconds, memory, redis, redis_ping: redisPing, round_trips_per_check: Math.round(roundTrips * 1000) / 1000, redis_url: url };
  } finally {
    await deletePrefix(store, prefix).catch(() => undefined);
    await store.close();
  }
}

/** Round trips of a bare PING for `seconds` (after a short warm-up). */
async function pingLatency(store: RedisLimitStore, seconds: number): Promise<LimitLatency> {
  const redis = store.redis;
  for (let i = 0; i < 200; i++) await redis.ping();
  const samples: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    await redis.ping();
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  return stats(samples, performance.now() - start);
}

/** Removes every key the benchmark wrote. */
export async function deletePrefix(store: RedisLimitStore, prefix: string): Promise<void> {
  const redis = store.redis;
  if (redis.status !== 'ready') return;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
