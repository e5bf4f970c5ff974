// Measuring sub-microsecond operations honestly: per-call timings with the
// timer's own cost subtracted (for percentiles), and a timer-free loop (for
// throughput). Results are printed, never asserted: this is not a test.

import { performance } from 'node:perf_hooks';

export interface LatencyStats {
  readonly samples: number;
  /** Nanoseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

export interface ThroughputStats {
  readonly opsPerSecond: number;
  readonly iterations: number;
  readonly seconds: number;
}

const now = (): bigint => process.hrtime.bigint();

/** Median cost of one timer read, subtracted from every sample. */
function timerOverhead(): number {
  const xs: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    const a = now();
    const b = now();
    xs.push(Number(b - a));
  }
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1]!;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Times each call of `op(i)`; runs for about `seconds` after a warm-up of a quarter of that. */
export function measureLatency(op: (i: number) => unknown, seconds: number): LatencyStats {
  const overhead = timerOverhead();
  const warmEnd = performance.now() + (seconds * 1000) / 4;
  let i = 0;
  while (performance.now() < warmEnd) for (let k = 0; k < 100; k++) op(i++);
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) {
      const a = now();
      op(i++);
      const b = now();
      samples.push(Math.max(0, Number(b - a) - overhead));
    }
  }
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  samples.sort((a, b) => a - b);
  return { samples: samples.length, p50: pct(samples, 50), p90: pct(samples, 90), p99: pct(samples, 99), mean };
}

/** Calls per second of `op(i)` in a loop with no timer inside. */
export function measureThroughput(op: (i: number) => unknown, seconds: number): ThroughputStats {
  let i = 0;
  const warmEnd = performance.now() + (seconds * 1000) / 4;
  while (performance.now() < warmEnd) for (let k = 0; k < 1000; k++) op(i++);
  const start = performance.now();
  const end = start + seconds * 1000;
  let iterations = 0;
  let t = start;
  while (t < end) {
    for (let k = 0; k < 1000; k++) op(iterations++);
    t = performance.now();
  }
  const s = (t - start) / 1000;
  return { opsPerSecond: iterations / s, iterations, seconds: s };
}

export function formatNs(ns: number): string {
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1000).toFixed(2)} us`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}
