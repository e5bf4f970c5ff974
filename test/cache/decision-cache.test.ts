// The DecisionCache class: eviction policies (LRU, LFU, TTL), expiry with an
// injected clock, capacity bounds, stats, and hash collisions resolved by
// comparing leaves.

import { describe, expect, it } from 'vitest';
import { DecisionCache, type EvictionPolicy } from '../../src/cache/decision-cache.js';
import { sameLeaves } from '../../src/cache/cache-key.js';

/** A cache keyed by small strings: hash = a fixed function of the key, leaves = [key]. */
function cache(evictionPolicy: EvictionPolicy, capacity: number, ttlSeconds = 0, now?: () => number) {
  const c = new DecisionCache<string>({ capacity, ttlSeconds, evictionPolicy, now });
  const h = (k: string) => k.length; // deliberately collision-heavy
  return {
    c,
    set: (k: string, v = k.toUpperCase()) => c.set(h(k), [k], v),
    get: (k: string) => c.get(h(k), [k]),
    /** Whether `k` is held, without touching its recency, its frequency or the counters (the private lookup). */
    has: (k: string) => (c as unknown as { find(h: number, l: unknown[]): unknown }).find(h(k), [k]) !== undefined,
  };
}

const keys = (t: ReturnType<typeof cache>, all: string[]) => all.filter((k) => t.has(k));

describe('DecisionCache', () => {
  describe('lru', () => {
    it('evicts the least recently used entry', () => {
      const t = cache('lru', 3);
      t.set('a');
      t.set('b');
      t.set('c');
      expect(t.get('a')).toBe('A'); // a is now the most recent; b the least
      t.set('d');
      expect(keys(t, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
      t.set('c', 'C2'); // updating counts as a use
      t.set('e');
      expect(keys(t, ['a', 'b', 'c', 'd', 'e'])).toEqual(['c', 'd', 'e']);
      expect(t.get('c')).toBe('C2');
      expect(t.c.stats()).toMatchObject({ size: 3, evictions: 2 });
    });
  });

  describe('lfu', () => {
    it('evicts the least frequently used entry', () => {
      const t = cache('lfu', 3);
      t.set('a');
      t.set('b');
      t.set('c');
      t.get('a');
      t.get('a');
      t.get('c');
      t.set('d'); // b has frequency 1: evicted
      expect(keys(t, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
      t.set('e'); // d (frequency 1) goes, not c (2) or a (3)
      expect(keys(t, ['a', 'c', 'd', 'e'])).toEqual(['a', 'c', 'e']);
    });

    it('breaks ties by age: the oldest of the least frequent goes first', () => {
      const t = cache('lfu', 3);
      t.set('a');
      t.set('b');
      t.set('c');
      t.set('d');
      expect(keys(t, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
      for (const k of ['b', 'c', 'd']) t.get(k);
      t.set('e'); // b, c and d all have frequency 2: the oldest of them, b, goes
      expect(keys(t, ['b', 'c', 'd', 'e'])).toEqual(['c', 'd', 'e']);
    });

    it('finds the minimum frequency again after the least frequent entries are gone', () => {
      const t = cache('lfu', 2);
      t.set('a');
      t.set('b');
      for (let i = 0; i < 3; i++) t.get('a');
      for (let i = 0; i < 2; i++) t.get('b');
      t.set('c'); // b (3) goes, a (4) stays
      expect(keys(t, ['a', 'b', 'c'])).toEqual(['a', 'c']);
      t.set('d'); // c (1) goes
      expect(keys(t, ['a', 'c', 'd'])).toEqual(['a', 'd']);
      expect(t.c.size).toBe(2);
    });
  });

  describe('ttl', () => {
    it('evicts the oldest entry, whatever its use', () => {
      let now = 0;
      const t = cache('ttl', 3, 60, () => now);
      t.set('a');
      now += 1;
      t.set('b');
      now += 1;
      t.set('c');
      for (let i = 0; i < 5; i++) t.get('a');
      t.set('d');
      expect(keys(t, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
      t.set('b', 'B2'); // rewriting restarts b's life
      t.set('e');
      expect(keys(t, ['b', 'c', 'd', 'e'])).toEqual(['b', 'd', 'e']);
    });

    it('expires entries ttlSeconds after they were stored', () => {
      let now = 1_000_000;
      const t = cache('ttl', 10, 30, () => now);
      t.set('a');
      now += 29_999;
      expect(t.get('a')).toBe('A');
      now += 1;
      expect(t.get('a')).toBeUndefined();
      expect(t.c.stats()).toMatchObject({ size: 0, hits: 1, misses: 1, expirations: 1, evictions: 0 });
      t.set('a', 'again');
      now += 10_000;
      expect(t.get('a')).toBe('again');
    });
  });

  for (const policy of ['lru', 'lfu', 'ttl'] as const) {
    describe(`${policy}: shared behaviour`, () => {
      it('expires entries with an injected clock', () => {
        let now = 0;
        const t = cache(policy, 4, 1, () => now);
        t.set('a');
        t.set('bb');
        now = 999;
        expect(t.get('a')).toBe('A');
        now = 1000;
        expect(t.get('a')).toBeUndefined();
        expect(t.get('bb')).toBeUndefined();
        expect(t.c.stats()).toMatchObject({ size: 0, expirations: 2, hits: 1, misses: 2 });
      });

      it('never expires with ttlSeconds 0', () => {
        let now = 0;
        const t = cache(policy, 4, 0, () => now);
        t.set('a');
        now = 1e12;
        expect(t.get('a')).toBe('A');
      });

      it('stays within its capacity and counts hits, misses and evictions', () => {
        const t = cache(policy, 5);
        for (let i = 0; i < 100; i++) {
          t.set(`k${i}`);
          expect(t.c.size).toBeLessThanOrEqual(5);
        }
        expect(t.c.size).toBe(5);
        expect(t.c.stats()).toMatchObject({ size: 5, evictions: 95, hits: 0, misses: 0 });
        expect(t.get('k99')).toBe('K99');
        expect(t.get('k0')).toBeUndefined();
        expect(t.c.stats()).toMatchObject({ hits: 1, misses: 1 });
        expect(t.c.stats().approxBytes).toBeGreaterThan(0);
        t.c.clear();
        expect(t.c.stats()).toMatchObject({ size: 0, approxBytes: 0 });
        expect(t.get('k99')).toBeUndefined();
        t.set('x');
        expect(t.get('x')).toBe('X');
      });

      it('stores nothing with capacity 0', () => {
        const t = cache(policy, 0);
        t.set('a');
        expect(t.get('a')).toBeUndefined();
        expect(t.c.size).toBe(0);
      });

      it('resolves hash collisions by comparing leaves', () => {
        const c = new DecisionCache<string>({ capacity: 100, ttlSeconds: 0, evictionPolicy: policy });
        // Different leaf lists, one hash.
        const pairs: unknown[][] = [[0], [-0], ['0'], [false], [null], [undefined], [NaN], [''], [[]], ['a', 'b'], ['a'], ['ab'], [Symbol.for('x')]];
        pairs.forEach((leaves, i) => c.set(7, leaves, `v${i}`));
        expect(c.size).toBe(pairs.length);
        pairs.forEach((leaves, i) => expect(c.get(7, [...leaves])).toBe(`v${i}`));
        // A leaf list never stored is a miss, even in a full bucket.
        expect(c.get(7, [1])).toBeUndefined();
        expect(c.get(7, ['a', 'b', 'c'])).toBeUndefined();
        // Evicting one entry of a bucket keeps the others.
        const small = new DecisionCache<string>({ capacity: 2, ttlSeconds: 0, evictionPolicy: policy });
        small.set(1, ['x'], 'X');
        small.set(1, ['y'], 'Y');
        small.set(1, ['z'], 'Z');
        expect(small.get(1, ['z'])).toBe('Z');
        expect([small.get(1, ['x']), small.get(1, ['y'])].filter((v) => v !== undefined)).toHaveLength(1);
      });

      it('copies the leaves it stores (callers reuse their buffer)', () => {
        const c = new DecisionCache<string>({ capacity: 10, ttlSeconds: 0, evictionPolicy: policy });
        const buf: unknown[] = ['a', 1];
        c.set(5, buf, 'first');
        buf.length = 0;
        buf.push('b', 2);
        expect(c.get(5, ['a', 1])).toBe('first');
        expect(c.get(5, buf)).toBeUndefined();
      });
    });
  }
});

describe('sameLeaves', () => {
  it('compares as Object.is: NaN equals NaN, 0 differs from -0', () => {
    expect(sameLeaves([NaN], [NaN])).toBe(true);
    expect(sameLeaves([0], [-0])).toBe(false);
    expect(sameLeaves([-0], [0])).toBe(false);
    expect(sameLeaves([-0], [-0])).toBe(true);
    expect(sameLeaves([0, 'a'], [0, 'a'])).toBe(true);
    expect(sameLeaves([0], ['0'])).toBe(false);
    expect(sameLeaves([null], [undefined])).toBe(false);
    expect(sameLeaves([1], [1, 1])).toBe(false);
    expect(sameLeaves([NaN], [0])).toBe(false);
  });
});
