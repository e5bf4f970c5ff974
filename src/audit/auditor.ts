// The auditor: record() on the request path only filters and enqueues; the
// records are serialised and written later, a batch per event-loop turn, so a
// slow disk or a blocked stdout pipe never delays a decision.
//
// The buffer is bounded (audit.buffer_size records). When it is full — the
// sink cannot keep up — new records are dropped, never waited for, and never
// silently: each drop is counted (onDropped → policy_engine_audit_dropped_total)
// and a `{"type":"dropped","dropped":N}` line is written into the trail where
// the gap is. The stream's own buffer is kept small too: after a write() that
// returns false nothing more is written until 'drain'.

import type { Writable } from 'node:stream';
import type { AuditConfig } from '../config/types.js';
import type { Decision } from '../engine/decision.js';
import type { DecisionKind } from '../policy/types.js';
import { auditRecord, auditSubject, isDenied, type AuditContext, type AuditDroppedRecord, type AuditSubject } from './record.js';
import { openAuditSink, type AuditSink } from './sink.js';

export interface AuditorHooks {
  /** Records written (their write completed). */
  onWritten?(n: number): void;
  /** Records lost: buffer full, sink failed, or recorded after close(). */
  onDropped?(n: number): void;
  /** The sink failed (disk full, file removed, pipe closed): later records are dropped and counted. Called once. */
  onError?(err: Error): void;
}

export interface AuditorOptions {
  /** The stream for output 'stdout' (tests, embedding). Default process.stdout. */
  readonly stdout?: Writable;
  /** Records serialised per event-loop turn (default 256): bounds the time the writer takes from requests. */
  readonly batchSize?: number;
}

export interface AuditorStats {
  /** Entries waiting to be written (records, and the marks of gaps). */
  readonly buffered: number;
  readonly written: number;
  readonly dropped: number;
}

/** A decision to write, or the mark of a gap (n records dropped here). */
type Entry = { readonly d: Decision; readonly s: AuditSubject; readonly t: number } | { readonly d?: undefined; readonly n: number; readonly t: number };

export class Auditor {
  private readonly sink: AuditSink | undefined;
  private readonly capacity: number;
  private readonly batchSize: number;
  private queue: Entry[] = [];
  /** Drops not yet marked in the trail: the mark goes in before the next record that fits. */
  private unmarked = 0;
  private written = 0;
  private dropped = 0;
  private inFlight = 0;
  private scheduled = false;
  private waitingDrain = false;
  private closed = false;
  private failed: Error | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly onStreamError = (e: Error) => this.fail(e);

  /** Throws an Error naming the file if it cannot be written. Output 'governance' writes to stdout until that integration exists. */
  constructor(private readonly config: AuditConfig, private readonly hooks: AuditorHooks = {}, o: AuditorOptions = {}) {
    this.capacity = Math.max(1, Math.floor(config.buffer_size));
    this.batchSize = Math.max(1, o.batchSize ?? 256);
    if (!config.enabled) return;
    this.sink = openAuditSink(config, o.stdout);
    this.sink.stream.on('error', this.onStreamError);
  }

  /** Whether a decision of this kind is audited: log_denied_only → deny and throttle; else log_all_decisions → all. */
  wants(kind: DecisionKind): boolean {
    if (!this.sink) return false;
    if (this.config.log_denied_only) return isDenied(kind);
    return this.config.log_all_decisions;
  }

  /** Enqueues the decision's record; never blocks. False when not audited or dropped. */
  record(d: Decision, info: AuditContext = {}): boolean {
    if (!this.wants(d.decision)) return false;
    if (this.closed || this.failed || this.queue.length >= this.capacity) {
      this.drop(1);
      return false;
    }
    this.markGap();
    this.queue.push({ d, s: auditSubject(info), t: Date.now() });
    this.schedule();
    return true;
  }

  stats(): AuditorStats {
    return { buffered: this.queue.length, written: this.written, dropped: this.dropped };
  }

  /** Resolves once every record buffered so far has been written (or, if the sink failed, counted as dropped). */
  flush(): Promise<void> {
    if (this.sink && !this.failed) {
      this.markGap();
      this.schedule();
    }
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting records, writes what is buffered, and closes the file (stdout stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    const sink = this.sink;
    if (!sink) return;
    if (sink.owned && !sink.stream.destroyed && !sink.stream.writableEnded) {
      await new Promise<void>((resolve) => sink.stream.end(() => resolve()));
    }
    // stdout lives on: leave it as we found it (an error after this is not ours to report).
    if (!sink.owned) sink.stream.off('error', this.onStreamError);
  }

  private schedule(): void {
    if (this.scheduled || this.waitingDrain || this.failed) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /** Writes one batch; comes back next turn for the rest, or after 'drain' when the stream is full. */
  private pump(): void {
    this.scheduled = false;
    const stream = this.sink?.stream;
    if (!stream || this.failed || this.queue.length === 0) return this.settle();
    const batch = this.queue.length <= this.batchSize ? this.queue : this.queue.slice(0, this.batchSize);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.batchSize);
    let text = '';
    let decisions = 0;
    for (const e of batch) {
      if (e.d) decisions++;
      const rec = e.d ? auditRecord(e.d, e.s, e.t) : ({ type: 'dropped', timestamp: new Date(e.t).toISOString(), dropped: e.n } satisfies AuditDroppedRecord);
      text += `${JSON.stringify(rec)}\n`;
    }
    this.inFlight++;
    const more = stream.write(text, (err) => this.done(decisions, err ?? undefined));
    if (!more) {
      this.waitingDrain = true;
      stream.once('drain', () => {
        this.waitingDrain = false;
        this.schedule();
      });
    } else if (this.queue.length > 0) {
      this.schedule();
    }
  }

  private done(n: number, err: Error | undefined): void {
    this.inFlight--;
    if (err) {
      this.drop(n);
      this.fail(err);
    } else {
      this.written += n;
      this.hooks.onWritten?.(n);
    }
    this.settle();
  }

  private fail(err: Error): void {
    if (!this.failed) {
      this.failed = err;
      this.hooks.onError?.(err);
    }
    const lost = this.queue.reduce((n, e) => n + (e.d ? 1 : 0), 0);
    this.queue = [];
    if (lost > 0) this.drop(lost);
    this.settle();
  }

  private drop(n: number): void {
    this.dropped += n;
    this.unmarked += n;
    this.hooks.onDropped?.(n);
  }

  private markGap(): void {
    if (this.unmarked === 0) return;
    this.queue.push({ n: this.unmarked, t: Date.now() });
    this.unmarked = 0;
  }

  private idle(): boolean {
    return this.failed !== undefined || !this.sink || (this.queue.length === 0 && this.inFlight === 0);
  }

  private settle(): void {
    if (!this.idle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
