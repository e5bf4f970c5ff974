// The Redis limit store: the semantics of MemoryLimitStore, shared by every
// replica that points at the same Redis. One check() is one Lua script — one
// round trip, atomic for all the checks of a decision across all replicas —
// and one settle() is one more (after reading the decision's record, which
// reservations() has usually just read). The scripts and the data layout are
// in redis-scripts.ts.
//
// Failing fast: when Redis cannot be reached, a call must reject at once so
// the engine applies its fail mode (closed: refuse, open: skip the limits)
// instead of holding the request. So: no offline queue (a command sent while
// disconnected fails immediately), a command timeout (default 100 ms), no
// retry of in-flight commands on reconnect (a check the engine already gave up
// on must not be counted later), and reconnection with a bounded backoff
// (at most `maxReconnectDelayMs`) so the store recovers by itself.
//
// Redis Cluster: every key a script touches is passed in KEYS, but the keys of
// one call belong to different limits (and the decision record) and so
// generally hash to different slots. On a cluster, give a key prefix that is a
// hash tag, e.g. `{policy-engine}:` — every key then lives in one slot (one
// shard), which is correct but does not spread the load.

import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { CHECK_LUA, SETTLE_LUA } from './redis-scripts.js';
import type { Check, CheckKind, CheckOutcome, LimitStore, ReservationRef, SettleResult, StoreResult } from './types.js';

export interface RedisLimitStoreOptions {
  /** redis://[user:password@]host:port[/db] (default redis://127.0.0.1:6379). Ignored when `client` is given. */
  readonly url?: string;
  /**
   * A connection to use instead of opening one. It is the caller's: close()
   * leaves it open. Configure it to fail fast too (enableOfflineQueue: false,
   * commandTimeout, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false);
   * `redisLimitStoreClientOptions()` gives those settings.
   */
  readonly client?: Redis;
  /** Prefix of every key (default `policy-engine:`). On Redis Cluster, make it a hash tag: `{policy-engine}:`. */
  readonly keyPrefix?: string;
  /** A command that has not answered in this long fails (default 100 ms). */
  readonly commandTimeoutMs?: number;
  /** A connection attempt that has not succeeded in this long fails (default 1000 ms). */
  readonly connectTimeoutMs?: number;
  /** Reconnection backoff cap (default 1000 ms): the store is back at most this long after Redis is. */
  readonly maxReconnectDelayMs?: number;
}

/** What the store has seen of its connection, for metrics and health checks. */
export interface RedisLimitStoreStatus {
  /** ioredis's connection status: wait, connecting, connect, ready, reconnecting, close, end. */
  readonly connection: string;
  /** Connected and ready for commands. */
  readonly ready: boolean;
  /** Store calls made (check, reservations, settle). */
  readonly calls: number;
  /** Store calls that failed (Redis unreachable, timed out, or answered an error). */
  readonly errors: number;
  /** Connection errors reported by the client (refused, reset, ...). */
  readonly connectionErrors: number;
  /** Times a script was not cached in Redis and was sent in full (after a restart or SCRIPT FLUSH). */
  readonly scriptLoads: number;
  readonly lastError?: string;
}

export const DEFAULT_KEY_PREFIX = 'policy-engine:';
const DEFAULT_COMMAND_TIMEOUT_MS = 100;
const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 1000;
/** reservations() read records kept for the settle() that usually follows (saves a round trip). */
const RECORD_CACHE_SIZE = 1024;

/** The ioredis options that make a connection fail fast, as the store's own connection uses them. */
export function redisLimitStoreClientOptions(o: { commandTimeoutMs?: number; connectTimeoutMs?: number; maxReconnectDelayMs?: number } = {}): RedisOptions {
  const cap = o.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
  return {
    enableOfflineQueue: false,
    commandTimeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // In-flight commands fail when the connection drops, and are never resent after a reconnect.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(25 * 2 ** Math.min(times - 1, 16), cap) + Math.floor(Math.random() * 25),
    // The store needs no pub/sub or client name round trips on connect.
    disableClientInfo: true,
  };
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const CHECK_SHA = sha1(CHECK_LUA);
const SETTLE_SHA = sha1(SETTLE_LUA);

type RecordRef = [index: number, kind: CheckKind, key: string, reserved: string, meta: string, windowMs: number];

/** A whole, finite number as the decimal string the scripts read (amounts round up, capacities down, as units.ts does). */
function int(n: number, what: string, round: (x: number) => number = Math.ceil): string {
  if (!Number.isFinite(n)) throw new RangeError(`${what} must be a finite number, got ${n}`);
  const v = round(n);
  return Number.isSafeInteger(v) ? String(v) : v.toFixed(0);
}

function optInt(n: number | undefined, what: string): string {
  return n === undefined ? '' : int(n, what);
}

export class RedisLimitStore implements LimitStore {
  readonly synchronous = false;
  readonly name = 'redis';
  readonly keyPrefix: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly commandTimeoutMs: number;
  private readonly records = new Map<string, string>();
  private readyWait: Promise<void> | undefined;
  private closed = false;
  private calls = 0;
  private errors = 0;
  private connectionErrors = 0;
  private scriptLoads = 0;
  private lastError: string | undefined;
  /** The last connection error (refused, reset, ...), to say why Redis is not connected. */
  private lastConnectionError: string | undefined;

  constructor(options: RedisLimitStoreOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    if (!(this.commandTimeoutMs > 0)) throw new RangeError(`commandTimeoutMs must be positive, got ${String(options.commandTimeoutMs)}`);
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const clientOptions = redisLimitStoreClientOptions(options);
      this.client = options.url ? new Redis(options.url, clientOptions) : new Redis({ host: '127.0.0.1', port: 6379, ...clientOptions });
      this.ownsClient = true;
    }
    // Without a listener, ioredis prints every connection error; they are counted instead (status()).
    this.client.on('error', this.onError);
  }

  private readonly onError = (e: unknown): void => {
    this.connectionErrors++;
    this.lastConnectionError = e instanceof Error ? e.message : String(e);
    this.lastError = this.lastConnectionError;
  };

  /** The connection (for tests and benchmarks that need to look at Redis directly). */
  get redis(): Redis {
    return this.client;
  }

  /**
   * Resolves once the connection is ready for commands (e.g. at start-up, before
   * reporting healthy); rejects after `timeoutMs`. Calls never need it: they
   * wait for a connection attempt in progress on their own, up to the command timeout.
   */
  ready(timeoutMs = 5000): Promise<void> {
    const c = this.client;
    if (c.status === 'ready') return Promise.resolve();
    if (this.closed || c.status === 'end') return Promise.reject(new Error('the Redis limit store is closed'));
    if (c.status === 'wait') c.connect().catch(() => undefined);
    return new Promise<void>((resolve, reject) => {
      const done = (e?: Error): void => {
        clearTimeout(timer);
        c.off('ready', onReady);
        c.off('end', onEnd);
        if (e) reject(e);
        else resolve();
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(new Error('the Redis connection was closed'));
      const timer = setTimeout(() => done(new Error(`Redis not ready within ${timeoutMs} ms (${c.status}${this.lastConnectionError ? `; last connection error: ${this.lastConnectionError}` : ''})`)), timeoutMs);
      c.on('ready', onReady);
      c.on('end', onEnd);
    });
  }

  status(): RedisLimitStoreStatus {
    return {
      connection: this.client.status,
      ready: this.client.status === 'ready',
      calls: this.calls,
      errors: this.errors,
      connectionErrors: this.connectionErrors,
      scriptLoads: this.scriptLoads,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  async check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, budgetMeta: readonly (string | undefined)[]): Promise<StoreResult> {
    const p = this.keyPrefix;
    const keys: string[] = [`${p}d:${decisionId}`];
    const args: string[] = [int(nowMs, 'nowMs'), dryRun ? '1' : '0', decisionId, String(checks.length)];
    checks.forEach((c, i) => {
      if (c.kind !== 'calendar' && c.windowMs === undefined) throw new RangeError(`a ${c.kind} check needs windowMs (key ${c.key})`);
      keys.push(`${p}h:${c.key}`, `${p}w:${c.key}`, `${p}r:${c.key}`);
      args.push(
        c.kind,
        c.key,
        int(c.amount, 'amount'),
        int(c.capacity, 'capacity', Math.floor),
        optInt(c.windowMs, 'windowMs'),
        optInt(c.periodEndMs, 'periodEndMs'),
        optInt(c.reservationTtlMs, 'reservationTtlMs'),
        optInt(c.minAmount, 'minAmount'),
        c.kind === 'window' ? '' : (budgetMeta[i] ?? ''),
      );
    });
    const r = (await this.script(CHECK_SHA, CHECK_LUA, keys, args)) as number[];
    const outcomes: CheckOutcome[] = checks.map((_, i) => {
      const fits = r[1 + i * 4] === 1;
      const retry = r[4 + i * 4]!;
      return { fits, granted: r[2 + i * 4]!, used: r[3 + i * 4]!, ...(fits || retry < 0 ? {} : { retryAfterMs: retry }) };
    });
    return { admitted: r[0] === 1, outcomes };
  }

  async reservations(decisionId: string): Promise<ReservationRef[]> {
    const text = await this.call(() => this.client.get(`${this.keyPrefix}d:${decisionId}`));
    if (text === null) return [];
    this.remember(decisionId, text);
    return parseRecord(text).map(([index, kind, key, reserved, meta]) => ({ index, kind, key, reserved: Number(reserved), meta }));
  }

  async settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): Promise<SettleResult> {
    const recordKey = `${this.keyPrefix}d:${decisionId}`;
    let text = this.records.get(decisionId);
    this.records.delete(decisionId);
    // The record is immutable once written; if it changed or vanished since it was read, read it again.
    for (let attempt = 0; attempt < 3; attempt++) {
      text ??= (await this.call(() => this.client.get(recordKey))) ?? undefined;
      if (text === undefined) return { settled: 0, found: false };
      const refs = parseRecord(text);
      const keys = [recordKey];
      const args = [int(nowMs, 'nowMs'), decisionId, text];
      for (const [index, , key] of refs) {
        keys.push(`${this.keyPrefix}h:${key}`, `${this.keyPrefix}w:${key}`, `${this.keyPrefix}r:${key}`);
        const a = actual.get(index);
        args.push(a === undefined ? '' : int(Math.max(0, a), 'actual use'));
      }
      const [found, settled] = (await this.script(SETTLE_SHA, SETTLE_LUA, keys, args)) as [number, number];
      if (found === 1) return { settled, found: true };
      if (found === 0) return { settled: 0, found: false };
      text = undefined;
    }
    return { settled: 0, found: false };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.records.clear();
    if (!this.ownsClient) {
      this.client.off('error', this.onError);
      return;
    }
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: drop the connection
      }
    }
    this.client.disconnect();
  }

  /** Runs a script by its SHA; when Redis does not have it cached (NOSCRIPT), sends it in full. */
  private script(sha: string, lua: string, keys: string[], args: string[]): Promise<unknown> {
    return this.call(async () => {
      try {
        return await this.client.evalsha(sha, keys.length, ...keys, ...args);
      } catch (e) {
        if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
        this.scriptLoads++;
        return await this.client.eval(lua, keys.length, ...keys, ...args);
      }
    });
  }

  /** One store call: fails at once when Redis is not reachable, with an error that says why. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    this.calls++;
    try {
      if (this.closed) throw new Error('the Redis limit store is closed');
      const waiting = this.whenConnecting();
      if (waiting) await waiting;
      const s = this.client.status;
      if (s !== 'ready') throw new Error(`Redis is not connected (${s}${this.lastConnectionError ? `; last connection error: ${this.lastConnectionError}` : ''})`);
      return await run();
    } catch (e) {
      this.errors++;
      const err = this.explain(e);
      this.lastError = err.message;
      throw err;
    }
  }

  /** ioredis's errors, in words that make sense in a decision's `errors`. */
  private explain(e: unknown): Error {
    const message = e instanceof Error ? e.message : String(e);
    if (message === 'Command timed out') return new Error(`Redis did not answer within ${this.commandTimeoutMs} ms`);
    // In flight when the connection dropped (maxRetriesPerRequest: 0 fails such commands at once).
    if (message.startsWith('Reached the max retries per request limit')) return new Error('the connection to Redis was lost while the command was in flight');
    if (message.startsWith("Stream isn't writeable")) return new Error('Redis is not connected (the connection is closing)');
    return e instanceof Error ? e : new Error(message);
  }

  /**
   * While a connection attempt is in progress (at start-up, or when reconnecting
   * to a Redis that is back), waits for it — at most one command timeout. A
   * Redis that is down fails the attempt at once and the call with it.
   */
  private whenConnecting(): Promise<void> | undefined {
    const c = this.client;
    const s = c.status;
    if (s !== 'wait' && s !== 'connecting' && s !== 'connect') return undefined;
    if (s === 'wait') c.connect().catch(() => undefined);
    this.readyWait ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        c.off('ready', done);
        c.off('close', done);
        c.off('end', done);
        this.readyWait = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.commandTimeoutMs);
      c.on('ready', done);
      c.on('close', done);
      c.on('end', done);
    });
    return this.readyWait;
  }

  private remember(decisionId: string, text: string): void {
    if (this.records.size >= RECORD_CACHE_SIZE) this.records.delete(this.records.keys().next().value!);
    this.records.set(decisionId, text);
  }
}

function parseRecord(text: string): RecordRef[] {
  return JSON.parse(text) as RecordRef[];
}
