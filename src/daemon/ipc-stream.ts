// Log lines and audit records of worker processes, written by the primary.
//
// Several processes must not share one output on their own: two processes
// appending to one rotated file break its rotation (each renames under the
// other), and lines longer than a pipe's atomic write size (4 KiB) from two
// processes can interleave on stdout. So a worker's logger and auditor write
// to an IpcWritable, which sends what was written, in batches, to the primary;
// the primary's IpcStreamHost writes each batch whole to the one real
// destination. Backpressure holds: a write completes when the IPC channel has
// taken it, so the auditor's bounded buffer still fills (and counts drops)
// when the destination is slow.

import { Writable } from 'node:stream';

const MESSAGE = 'policy-engine:stream';

export type StreamName = 'log' | 'audit';

interface StreamMessage {
  readonly t: typeof MESSAGE;
  readonly stream: StreamName;
  readonly text: string;
}

interface Sender {
  send?(message: unknown, sendHandle?: undefined, options?: undefined, callback?: (error: Error | null) => void): boolean;
  readonly connected?: boolean;
}

/** A worker's end: text written here reaches the primary's destination for `stream`. */
export class IpcWritable extends Writable {
  constructor(
    private readonly stream: StreamName,
    private readonly proc: Sender = process,
  ) {
    super({ decodeStrings: false, highWaterMark: 256 * 1024 });
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.forward(String(chunk), cb);
  }

  /** What piled up while the channel was busy goes as one message. */
  override _writev(chunks: { chunk: string | Buffer }[], cb: (error?: Error | null) => void): void {
    this.forward(chunks.map((c) => String(c.chunk)).join(''), cb);
  }

  private forward(text: string, cb: (error?: Error | null) => void): void {
    if (text === '') return cb();
    if (!this.proc.send || this.proc.connected === false) return cb(new Error('the IPC channel to the primary process is closed'));
    this.proc.send({ t: MESSAGE, stream: this.stream, text } satisfies StreamMessage, undefined, undefined, (err) => cb(err ?? undefined));
  }
}

/** The primary's end: writes every worker's batches to the destination of their stream. */
export class IpcStreamHost {
  constructor(private readonly destinations: { readonly [S in StreamName]?: Writable }) {}

  /** Serves a worker: call for each worker forked. */
  serve(worker: { on(event: 'message', listener: (message: unknown) => void): unknown }): void {
    worker.on('message', (m: unknown) => {
      if (!isStreamMessage(m)) return;
      const dest = this.destinations[m.stream];
      if (dest && !dest.writableEnded && !dest.destroyed) dest.write(m.text);
    });
  }
}

function isStreamMessage(m: unknown): m is StreamMessage {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === MESSAGE && typeof (m as { text?: unknown }).text === 'string';
}
