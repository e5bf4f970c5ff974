// WindowSummary against prom-client's windowed Summary, which it replaces:
// the same exposition, _sum and _count; quantiles within 1.1% of the exact
// ones; the same window (ageBuckets slots of maxAgeSeconds / ageBuckets).

import { Registry, Summary } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WindowSummary } from '../../src/observability/window-summary.js';

function pair(name = 'x_seconds', window = { maxAgeSeconds: 60, ageBuckets: 3 }) {
  const a = new Registry();
  const b = new Registry();
  const config = { name, help: 'Help.', percentiles: [0.5, 0.95, 0.99], ...window };
  return { prom: new Summary({ ...config, registers: [a] }), ours: new WindowSummary({ ...config, registers: [b] }), a, b };
}

async function quantiles(s: WindowSummary): Promise<number[]> {
  return (await s.get()).values.slice(0, 3).map((v) => v.value);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('WindowSummary', () => {
  it('is exposed as prom-client exposes a Summary', async () => {
    const { prom, ours, a, b } = pair();
    expect(await b.metrics()).toBe(await a.metrics()); // empty: quantiles 0
    for (const v of [0.001, 0.002, 0.002, 0.004, 0.25]) {
      prom.observe(v);
      ours.observe(v);
    }
    // The quantiles are estimates (t-digest interpolates: its median here is 0.00267); the rest is the same.
    const quantilesOut = (text: string) => text.replace(/(\{quantile="[\d.]+"\}) .*/g, '$1 Q');
    expect(quantilesOut(await b.metrics())).toBe(quantilesOut(await a.metrics()));
    expect(await b.metrics()).toContain('x_seconds{quantile="0.5"} 0.002\n');
    const json = async (r: Registry) => (await r.getMetricsAsJSON()).map((m) => ({ ...m, values: m.values.map((v) => ('quantile' in v.labels ? { ...v, value: 'Q' } : v)) }));
    expect(await json(b)).toEqual(await json(a));
  });

  it('keeps _sum and _count exactly, and quantiles within 1.1% of the exact ones', async () => {
    const { prom, ours } = pair();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const xs: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = random() < 0.97 ? 5e-5 * (1 + random()) : 5e-3 * (1 + 10 * random());
      xs.push(x);
      prom.observe(x);
      ours.observe(x);
    }
    const p = (await prom.get()).values;
    const o = (await ours.get()).values;
    expect(o.slice(3)).toEqual(p.slice(3));
    const sorted = [...xs].sort((m, n) => m - n);
    const q = await quantiles(ours);
    [0.5, 0.95, 0.99].forEach((level, i) => {
      const exact = sorted[Math.ceil(level * sorted.length) - 1]!;
      expect(Math.abs(q[i]! - exact) / exact).toBeLessThan(0.011);
    });
  });

  it('forgets observations as prom-client does: after 40 to 60 s with a 60 s window in 3 age buckets', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(0);
    // The highest quantile is the window's largest value for both: which values are in the window shows.
    const { prom, ours } = pair('y_seconds');
    const top = async (s: Summary | WindowSummary) => (await s.get()).values[2]!.value;
    const at = async (ms: number, value?: number) => {
      vi.setSystemTime(ms);
      if (value !== undefined) {
        prom.observe(value);
        ours.observe(value);
      }
      const t = await top(ours);
      expect(t).toBe(await top(prom));
      return t;
    };
    expect(await at(1_000, 0.009)).toBe(0.009);
    expect(await at(15_000, 0.008)).toBe(0.009);
    expect(await at(25_000, 0.003)).toBe(0.009);
    expect(await at(45_000, 0.002)).toBe(0.009);
    expect(await at(59_000)).toBe(0.009);
    expect(await at(61_000)).toBe(0.003); // the first 20 s have left the window
    expect(await at(81_000, 0.001)).toBe(0.002);
    expect(await at(101_000)).toBe(0.001);
    expect(await at(500_000)).toBe(0); // idle for longer than the window: empty
    expect(await at(501_000, 0.006)).toBe(0.006);
  });

  it('refuses what prom-client refuses, with its message', () => {
    const { prom, ours } = pair();
    const message = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    for (const v of [NaN, Infinity, -Infinity]) expect(message(() => ours.observe(v))).toBe(message(() => prom.observe(v)));
    expect(message(() => ours.observe(NaN))).toMatch(/^TypeError: Value is not a valid number/);
  });
});
