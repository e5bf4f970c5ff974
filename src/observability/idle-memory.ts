// Gives the young generation's memory back while the process is idle.
//
// V8 grows the young generation (the "new space", where objects are
// allocated) up to 2 x 16 MB while the daemon starts and while it serves
// load, and shrinks it again only in a garbage collection that runs while
// little is being allocated. An idle daemon allocates next to nothing, so no
// collection runs and the 32 MB stay resident (a third of its memory). Twice
// a second this checks whether the process is idle (no collection since the
// last look, and less than 0.5 MB allocated: V8's own "low allocation rate"
// is 1 MB/s); if so, and the young generation is larger than it needs, it
// runs one young-generation collection (well under a millisecond on an idle
// heap). V8 shrinks the young generation in one of those once it sees the
// low rate itself — about 8 s after the daemon went quiet, on the development
// machine — and from then on nothing runs until it has grown again. Under
// load collections happen by themselves and this does nothing.
//
// The collection is V8's `gc()`, which Node only exposes with --expose-gc; it
// is obtained as the `expose-gc` package does (v8.setFlagsFromString, then a
// fresh context). Where that fails, trimming is off and nothing else changes.

import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

let gcFunction: GcFunction | null | undefined;

function gc(): GcFunction | null {
  if (gcFunction === undefined) {
    try {
      const existing = (globalThis as { gc?: unknown }).gc;
      if (typeof existing === 'function') gcFunction = existing as GcFunction;
      else {
        setFlagsFromString('--expose-gc');
        const fn: unknown = runInNewContext('gc');
        gcFunction = typeof fn === 'function' ? (fn as GcFunction) : null;
      }
    } catch {
      gcFunction = null;
    }
  }
  return gcFunction;
}

function newSpace(): { size: number; used: number } {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return { size: s.space_size, used: s.space_used_size };
  return { size: 0, used: 0 };
}

/**
 * One full collection now (tens of milliseconds on a daemon's heap): for a
 * moment when nothing is being served, such as the end of start-up, whose
 * garbage (policy and proto parsing, the tokenizer's source text) V8 would
 * otherwise keep resident until its memory reducer runs, 8-10 s later.
 */
export function collectAllGarbage(): void {
  try {
    gc()?.();
  } catch {
    // No gc(): the memory reducer does it later.
  }
}

const MiB = 1024 * 1024;

export interface IdleTrimOptions {
  /** How often to look (default 500 ms). */
  readonly intervalMs?: number;
  /** A young generation at most this large is left alone (default 4 MB; V8's smallest is 1-2 MB). */
  readonly keepBytes?: number;
}

/** Starts trimming; returns a function that stops it. The timer never keeps the process alive. */
export function trimMemoryWhenIdle(o: IdleTrimOptions = {}): () => void {
  const collect = gc();
  if (!collect) return () => undefined;
  const keep = o.keepBytes ?? 4 * MiB;
  let last = newSpace();
  const timer = setInterval(() => {
    const now = newSpace();
    // Idle: the young generation was not collected since the last look (its use did not drop) and grew by little.
    const idle = now.used >= last.used && now.used - last.used < MiB / 2;
    last = now;
    if (!idle || now.size <= keep) return;
    try {
      collect({ type: 'minor' });
    } catch {
      // A V8 without options for gc(): leave the memory as it is.
    }
    last = newSpace();
  }, o.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}

let users = 0;
let stopShared: (() => void) | undefined;

/** trimMemoryWhenIdle() shared by everything in the process that wants it: one timer, stopped with the last release. */
export function holdIdleTrim(): () => void {
  if (users++ === 0) stopShared = trimMemoryWhenIdle();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) {
      stopShared?.();
      stopShared = undefined;
    }
  };
}
