// The in-memory decision cache (guide: cache.decision_cache): bounded by
// `capacity`, entries expire after `ttl_seconds`, and the entry evicted when
// full is chosen by `eviction_policy`:
//   lru — least recently used;
//   lfu — least frequently used (ties: the least recently used of them);
//   ttl — the entry closest to expiry (insertion order, since the TTL is uniform).
// Every operation is O(1): entries sit on intrusive doubly-linked lists (one
// list in recency or insertion order; for lfu, one per use count), so a hit
// moves an entry with a few pointer writes and no allocation.
//
// Keys are (hash, leaves) pairs from cache-key.ts: entries live in buckets by
// hash and a hit is confirmed leaf by leaf. Written here rather than taken
// from a package because no single well-kept library offers the three
// policies, structured keys and eviction counts behind one interface.

import { performance } from 'node:perf_hooks';
import { sameLeaves } from './cache-key.js';

export type EvictionPolicy = 'lru' | 'lfu' | 'ttl';

export interface DecisionCacheOptions {
  readonly capacity: number;
  readonly ttlSeconds: number;
  readonly evictionPolicy: EvictionPolicy;
  /** Monotonic clock in ms (default performance.now; tests inject one). */
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
  prev: Entry<V> | undefined;
  next: Entry<V> | undefined;
}

/** A doubly-linked list of entries: head is the next to evict. */
class List<V> {
  head: Entry<V> | undefined;
  tail: Entry<V> | undefined;
  size = 0;

  push(e: Entry<V>): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  unlink(e: Entry<V>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    this.size--;
  }
}

function leafBytes(leaves: readonly unknown[]): number {
  let n = 16 + leaves.length * 8;
  for (const l of leaves) if (typeof l === 'string') n += 16 + l.length * 2;
  return n;
}

export class DecisionCache<V> {
  private readonly buckets = new Map<number, Entry<V>[]>();
  /** lru: recency order; ttl: insertion order. */
  private readonly order = new List<V>();
  /** lfu: use count → entries with that count, least recently used first. */
  private readonly freqs = new Map<number, List<V>>();
  private minFreq = 1;
  private count = 0;
  private bytes = 0;
  private readonly clock: () => number;
  private readonly ttlMs: number;
  hits = 0;
  misses = 0;
  evictions = 0;
  expirations = 0;

  constructor(private readonly opts: DecisionCacheOptions) {
    this.clock = opts.now ?? (() => performance.now());
    this.ttlMs = opts.ttlSeconds * 1000;
  }

  private find(hash: number, leaves: readonly unknown[]): Entry<V> | undefined {
    const b = this.buckets.get(hash);
    if (!b) return undefined;
    // Almost every bucket holds one entry: check it before looping.
    const first = b[0]!;
    if (sameLeaves(first.leaves, leaves)) return first;
    for (let i = 1; i < b.length; i++) if (sameLeaves(b[i]!.leaves, leaves)) return b[i];
    return undefined;
  }

  /** `nowMs` (on the clock's time base) saves a clock read when the caller already has the time. */
  get(hash: number, leaves: readonly unknown[], nowMs?: number): V | undefined {
    const e = this.find(hash, leaves);
    if (!e) {
      this.misses++;
      return undefined;
    }
    if (this.ttlMs > 0 && e.expires <= (nowMs ?? this.clock())) {
      this.remove(e);
      this.expirations++;
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (this.opts.evictionPolicy === 'lru') {
      if (this.order.tail !== e) {
        this.order.unlink(e);
        this.order.push(e);
      }
    } else if (this.opts.evictionPolicy === 'lfu') this.bump(e);
    return e.value;
  }

  /** Stores `value`; `leaves` is copied (callers reuse their buffer). */
  set(hash: number, leaves: readonly unknown[], value: V, nowMs?: number): void {
    if (this.opts.capacity <= 0) return;
    const now = nowMs ?? this.clock();
    const existing = this.find(hash, leaves);
    if (existing) {
      existing.value = value;
      existing.expires = now + this.ttlMs;
      if (this.opts.evictionPolicy !== 'lfu') {
        this.order.unlink(existing);
        this.order.push(existing);
      }
      return;
    }
    while (this.count >= this.opts.capacity) this.evictOne();
    const copy = leaves.slice();
    const e: Entry<V> = { hash, leaves: copy, bytes: leafBytes(copy), value, expires: now + this.ttlMs, freq: 1, prev: undefined, next: undefined };
    const b = this.buckets.get(hash);
    if (b) b.push(e);
    else this.buckets.set(hash, [e]);
    this.count++;
    this.bytes += e.bytes;
    if (this.opts.evictionPolicy === 'lfu') {
      this.freqList(1).push(e);
      this.minFreq = 1;
    } else this.order.push(e);
  }

  clear(): void {
    this.buckets.clear();
    this.order.head = this.order.tail = undefined;
    this.order.size = 0;
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
      let l = this.freqs.get(this.minFreq);
      if (!l || l.size === 0) {
        this.minFreq = Math.min(...this.freqs.keys());
        l = this.freqs.get(this.minFreq);
      }
      victim = l?.head;
    } else {
      victim = this.order.head;
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
      const l = this.freqs.get(e.freq);
      if (l) {
        l.unlink(e);
        if (l.size === 0) this.freqs.delete(e.freq);
      }
    } else this.order.unlink(e);
  }

  private freqList(f: number): List<V> {
    let l = this.freqs.get(f);
    if (!l) {
      l = new List<V>();
      this.freqs.set(f, l);
    }
    return l;
  }

  private bump(e: Entry<V>): void {
    const l = this.freqs.get(e.freq)!;
    l.unlink(e);
    if (l.size === 0) {
      this.freqs.delete(e.freq);
      if (this.minFreq === e.freq) this.minFreq = e.freq + 1;
    }
    e.freq++;
    this.freqList(e.freq).push(e);
  }
}
