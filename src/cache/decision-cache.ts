// The in-memory decision cache (guide: cache.decision_cache): bounded by
// `capacity`, entries expire after `ttl_seconds`, and the entry evicted when
// full is chosen by `eviction_policy`:
//   lru — least recently used (an insertion-ordered Set kept in recency order: O(1));
//   lfu — least frequently used (frequency buckets, O(1); ties by recency);
//   ttl — the entry closest to expiry (insertion order, since the TTL is uniform).
//
// Keys are (hash, leaves) pairs from cache-key.ts: entries live in buckets by
// hash and a hit is confirmed leaf by leaf. Written here rather than taken
// from a package because no single well-kept library offers the three
// policies, structured keys and eviction counts behind one interface.

import { sameLeaves } from './cache-key.js';

export type EvictionPolicy = 'lru' | 'lfu' | 'ttl';

export interface DecisionCacheOptions {
  readonly capacity: number;
  readonly ttlSeconds: number;
  readonly evictionPolicy: EvictionPolicy;
  /** Clock in ms (tests inject one). */
  readonly now?: () => number;
}

export interface CacheStats {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly expirations: number;
  /** Rough bytes held by the keys' leaves (values are shared decision objects). */
  readonly approxBytes: number;
}

interface Entry<V> {
  readonly hash: number;
  readonly leaves: readonly unknown[];
  readonly bytes: number;
  value: V;
  expires: number;
  freq: number;
}

function leafBytes(leaves: readonly unknown[]): number {
  let n = 16 + leaves.length * 8;
  for (const l of leaves) if (typeof l === 'string') n += 16 + l.length * 2;
  return n;
}

export class DecisionCache<V> {
  private readonly buckets = new Map<number, Entry<V>[]>();
  /** lru/ttl: entries in eviction order (oldest first). */
  private readonly order = new Set<Entry<V>>();
  /** lfu: frequency → entries with that frequency, oldest first. */
  private readonly freqs = new Map<number, Set<Entry<V>>>();
  private minFreq = 1;
  private count = 0;
  private bytes = 0;
  private readonly now: () => number;
  private readonly ttlMs: number;
  hits = 0;
  misses = 0;
  evictions = 0;
  expirations = 0;

  constructor(private readonly opts: DecisionCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlSeconds * 1000;
  }

  private find(hash: number, leaves: readonly unknown[]): Entry<V> | undefined {
    const b = this.buckets.get(hash);
    if (!b) return undefined;
    for (let i = 0; i < b.length; i++) if (sameLeaves(b[i]!.leaves, leaves)) return b[i];
    return undefined;
  }

  get(hash: number, leaves: readonly unknown[]): V | undefined {
    const e = this.find(hash, leaves);
    if (!e) {
      this.misses++;
      return undefined;
    }
    if (this.ttlMs > 0 && e.expires <= this.now()) {
      this.remove(e);
      this.expirations++;
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (this.opts.evictionPolicy === 'lru') {
      this.order.delete(e);
      this.order.add(e);
    } else if (this.opts.evictionPolicy === 'lfu') this.bump(e);
    return e.value;
  }

  /** Stores `value`; `leaves` is copied (callers reuse their buffer). */
  set(hash: number, leaves: readonly unknown[], value: V): void {
    if (this.opts.capacity <= 0) return;
    const existing = this.find(hash, leaves);
    if (existing) {
      existing.value = value;
      existing.expires = this.now() + this.ttlMs;
      if (this.opts.evictionPolicy !== 'lfu') {
        this.order.delete(existing);
        this.order.add(existing);
      }
      return;
    }
    while (this.count >= this.opts.capacity) this.evictOne();
    const copy = leaves.slice();
    const e: Entry<V> = { hash, leaves: copy, bytes: leafBytes(copy), value, expires: this.now() + this.ttlMs, freq: 1 };
    const b = this.buckets.get(hash);
    if (b) b.push(e);
    else this.buckets.set(hash, [e]);
    this.count++;
    this.bytes += e.bytes;
    if (this.opts.evictionPolicy === 'lfu') {
      this.freqSet(1).add(e);
      this.minFreq = 1;
    } else this.order.add(e);
  }

  clear(): void {
    this.buckets.clear();
    this.order.clear();
    this.freqs.clear();
    this.count = 0;
    this.bytes = 0;
  }

  get size(): number {
    return this.count;
  }

  stats(): CacheStats {
    return { size: this.count, hits: this.hits, misses: this.misses, evictions: this.evictions, expirations: this.expirations, approxBytes: this.bytes };
  }

  private evictOne(): void {
    let victim: Entry<V> | undefined;
    if (this.opts.evictionPolicy === 'lfu') {
      let s = this.freqs.get(this.minFreq);
      if (!s || s.size === 0) {
        this.minFreq = Math.min(...this.freqs.keys());
        s = this.freqs.get(this.minFreq);
      }
      victim = s?.values().next().value;
    } else {
      victim = this.order.values().next().value;
    }
    if (!victim) return;
    this.remove(victim);
    this.evictions++;
  }

  private remove(e: Entry<V>): void {
    const b = this.buckets.get(e.hash);
    if (b) {
      const i = b.indexOf(e);
      if (i >= 0) b.splice(i, 1);
      if (b.length === 0) this.buckets.delete(e.hash);
    }
    this.count--;
    this.bytes -= e.bytes;
    if (this.opts.evictionPolicy === 'lfu') {
      const s = this.freqs.get(e.freq);
      s?.delete(e);
      if (s && s.size === 0) this.freqs.delete(e.freq);
    } else this.order.delete(e);
  }

  private freqSet(f: number): Set<Entry<V>> {
    let s = this.freqs.get(f);
    if (!s) {
      s = new Set();
      this.freqs.set(f, s);
    }
    return s;
  }

  private bump(e: Entry<V>): void {
    const s = this.freqs.get(e.freq)!;
    s.delete(e);
    if (s.size === 0) {
      this.freqs.delete(e.freq);
      if (this.minFreq === e.freq) this.minFreq = e.freq + 1;
    }
    e.freq++;
    this.freqSet(e.freq).add(e);
  }
}
