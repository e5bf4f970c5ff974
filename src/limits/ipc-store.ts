// Limits shared by the daemon's worker processes without Redis: the primary
// process keeps a MemoryLimitStore and answers the workers' store calls over
// the cluster IPC channel. Each call is one message each way, and the primary
// handles them one at a time, so check-and-reserve stays atomic across the
// workers exactly as it is within one process. (Several daemons on several
// machines still need Redis.)

import { MemoryLimitStore } from './memory-store.js';
import type { Check, LimitStore, ReservationRef, SettleResult, StoreResult } from './types.js';

/** The primary's end of a worker: node:cluster's Worker and child_process's ChildProcess both fit. */
export interface IpcPeer {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  send(message: unknown): boolean;
  readonly connected?: boolean;
  isConnected?(): boolean;
}

const REQUEST = 'policy-engine:limits';
const REPLY = 'policy-engine:limits-reply';

type Op =
  | { readonly op: 'check'; readonly args: [string, readonly Check[], number, boolean, readonly (string | undefined)[]] }
  | { readonly op: 'reservations'; readonly args: [string] }
  | { readonly op: 'settle'; readonly args: [string, [number, number][], number] };

interface Request {
  readonly t: typeof REQUEST;
  readonly id: number;
  readonly call: Op;
}

interface Reply {
  readonly t: typeof REPLY;
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** The primary's side: answers every worker's calls from one memory store. */
export class IpcLimitStoreHost {
  readonly store = new MemoryLimitStore();

  /** Serves a worker (call for each worker forked): a cluster Worker or a ChildProcess with IPC. */
  serve(worker: IpcPeer): void {
    worker.on('message', (m: unknown) => {
      if (!isRequest(m)) return;
      let reply: Reply;
      try {
        reply = { t: REPLY, id: m.id, result: this.run(m.call) };
      } catch (e) {
        reply = { t: REPLY, id: m.id, error: e instanceof Error ? e.message : String(e) };
      }
      // A worker that died meanwhile cannot be answered; its requests died with it.
      if (worker.connected ?? worker.isConnected?.() ?? true) worker.send(reply);
    });
  }

  private run(call: Op): unknown {
    switch (call.op) {
      case 'check':
        return this.store.check(...call.args);
      case 'reservations':
        return this.store.reservations(...call.args);
      case 'settle':
        return this.store.settle(call.args[0], new Map(call.args[1]), call.args[2]);
    }
  }

  close(): void {
    this.store.close();
  }
}

/** A worker's side: a LimitStore whose calls go to the primary. */
export class IpcLimitStore implements LimitStore {
  readonly synchronous = false;
  readonly name = 'memory (shared by the worker processes)';
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly listener = (m: unknown): void => {
    if (!isReply(m)) return;
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    clearTimeout(w.timer);
    if (m.error !== undefined) w.reject(new Error(m.error));
    else w.resolve(m.result);
  };

  constructor(
    private readonly proc: NodeJS.Process = process,
    private readonly timeoutMs = 1000,
  ) {
    if (typeof proc.send !== 'function') throw new Error('IpcLimitStore needs an IPC channel to the primary process (a cluster worker)');
    proc.on('message', this.listener);
  }

  private call<T>(call: Op): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the primary process did not answer a limit store call within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const sent = this.proc.send!({ t: REQUEST, id, call } satisfies Request, undefined, undefined, (err) => {
        if (err) this.fail(id, err);
      });
      if (sent === false && !this.proc.connected) this.fail(id, new Error('the IPC channel to the primary process is closed'));
    });
  }

  private fail(id: number, err: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.reject(err);
  }

  check(decisionId: string, checks: readonly Check[], nowMs: number, dryRun: boolean, budgetMeta: readonly (string | undefined)[]): Promise<StoreResult> {
    return this.call({ op: 'check', args: [decisionId, checks, nowMs, dryRun, budgetMeta] });
  }

  reservations(decisionId: string): Promise<ReservationRef[]> {
    return this.call({ op: 'reservations', args: [decisionId] });
  }

  settle(decisionId: string, actual: ReadonlyMap<number, number>, nowMs: number): Promise<SettleResult> {
    return this.call({ op: 'settle', args: [decisionId, [...actual], nowMs] });
  }

  close(): void {
    this.proc.off('message', this.listener);
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new Error('the limit store was closed'));
      this.waiting.delete(id);
    }
  }
}

function isRequest(m: unknown): m is Request {
  return typeof m === 'object' && m !== null && (m as Request).t === REQUEST;
}

function isReply(m: unknown): m is Reply {
  return typeof m === 'object' && m !== null && (m as Reply).t === REPLY;
}
