// A size-rotated file for logs and audit records, on rotating-file-stream in
// its "classical" mode: the live file keeps its name (what `tail -F` and log
// shippers follow) and rotated files become FILE.1 (newest) … FILE.N (oldest).
//
// Writes reach the file in batches: rotating-file-stream writes every chunk
// it is given with one file-system call, which Node runs on its thread pool —
// a wake-up of a pool thread and of the event loop per chunk. The audit trail
// hands over a batch per event-loop turn, so at a request or a few per turn
// that was one pool round trip per decision, costing more CPU than the
// decision. Here a write goes to the file at once when the file has not been
// written for `coalesceMs` (10 ms); otherwise it waits for the rest of that
// time, with whatever else is written meanwhile, and all of it goes as one
// chunk. The chunks are cut exactly where the file rotates, so every file
// holds the lines it would hold if they were written one by one. A write's
// callback runs once its bytes are in the file, as before: flushing and
// closing work as they did.

import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createStream } from 'rotating-file-stream';

export interface RotatingFileOptions {
  readonly path: string;
  /** Size at which the live file is rotated (fractions allowed: tests use a few KB). */
  readonly maxSizeMb: number;
  /** Rotated files kept besides the live one; older ones are deleted. */
  readonly maxFiles: number;
  /** The least time between two writes to the file, in ms (default 10; 0 writes every chunk as it comes). */
  readonly coalesceMs?: number;
}

/**
 * Opens (creating its directory) a rotating file. The directory is created and
 * checked for write access synchronously so a bad path is an error at start-up
 * that names the file, not an 'error' event after the first write.
 */
export function openRotatingFile(o: RotatingFileOptions): Writable {
  const dir = ensureWritableDir(o.path);
  // rotating-file-stream takes an integer and a unit; bytes keep fractional megabytes exact.
  const maxBytes = Math.max(1, Math.round(o.maxSizeMb * 1024 * 1024));
  const file = createStream(basename(o.path), { path: dir, size: `${maxBytes}B`, rotate: Math.max(1, Math.floor(o.maxFiles)) });
  return new CoalescingFile(file, maxBytes, sizeOf(o.path), o.coalesceMs ?? 10);
}

/** Creates the file's directory and checks it is writable; returns the directory. */
export function ensureWritableDir(path: string): string {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new Error(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return dir;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

type Chunk = string | Buffer;

class CoalescingFile extends Writable {
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private held: { parts: Chunk[]; cb: (error?: Error | null) => void } | undefined;
  /** Bytes in the live file as rotating-file-stream counts them (it rotates once a chunk takes it to maxBytes). */
  private size: number;

  constructor(
    private readonly file: Writable,
    private readonly maxBytes: number,
    initialSize: number,
    private readonly intervalMs: number,
  ) {
    super({ decodeStrings: false, highWaterMark: 1024 * 1024 });
    // A file that is already full is rotated when rotating-file-stream opens it.
    this.size = initialSize >= maxBytes ? 0 : initialSize;
    file.on('error', (e: Error) => this.destroy(e));
  }

  override _write(chunk: Chunk, _encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.hold([chunk], cb);
  }

  override _writev(chunks: { chunk: Chunk }[], cb: (error?: Error | null) => void): void {
    this.hold(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.file.end(() => cb());
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = undefined;
    held?.cb(error ?? new Error('the file stream was destroyed before this write'));
    this.file.destroy(error ?? undefined);
    cb(error);
  }

  private hold(parts: Chunk[], cb: (error?: Error | null) => void): void {
    const wait = this.lastWrite + this.intervalMs - performance.now();
    if (wait <= 0 || this.writableEnded) return this.forward(parts, cb);
    this.held = { parts, cb };
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const held = this.held;
      this.held = undefined;
      if (held) this.forward(held.parts, held.cb);
    }, wait);
  }

  /** Hands the parts to rotating-file-stream, one chunk per file (cut where it rotates); cb once they are written. */
  private forward(parts: Chunk[], cb: (error?: Error | null) => void): void {
    this.lastWrite = performance.now();
    let group: Chunk[] = [];
    let last: Chunk | undefined;
    const flushGroup = () => {
      if (group.length === 0) return;
      const chunk = group.length === 1 ? group[0]! : join(group);
      group = [];
      if (last !== undefined) this.file.write(last);
      last = chunk;
    };
    for (const p of parts) {
      const bytes = typeof p === 'string' ? Buffer.byteLength(p) : p.length;
      if (bytes === 0) continue;
      group.push(p);
      this.size += bytes;
      if (this.size >= this.maxBytes) {
        flushGroup();
        this.size = 0;
      }
    }
    flushGroup();
    if (last === undefined) return cb();
    this.file.write(last, (err) => cb(err));
  }
}

function join(parts: Chunk[]): Chunk {
  if (parts.every((p) => typeof p === 'string')) return (parts as string[]).join('');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}
