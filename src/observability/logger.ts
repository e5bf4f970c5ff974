// The daemon's logger: pino, configured by the `logging` section.
//
// Writes are synchronous on stdout, stderr and plain files (pino's default):
// a line is out before the call returns, so nothing is lost if the process
// dies, and the daemon logs events, not every request. The rotating file is
// an async stream (rotation renames files in the background); flush() waits
// for it.

import { pino, type DestinationStream, type Logger } from 'pino';
import type { Writable } from 'node:stream';
import type { LoggingConfig } from '../config/types.js';
import { formatPlainLine } from './plain-format.js';
import { ensureWritableDir, openRotatingFile } from './rotating-file.js';

export interface RequestLogFields {
  trace_id?: string;
  user_id?: string;
  metadata?: Record<string, unknown>;
}

export interface LoggerHandle {
  readonly logger: Logger;
  /** The per-request fields this configuration allows (include_trace_id, include_user_id, include_metadata). */
  requestFields(context: unknown, traceId?: string): RequestLogFields;
  /** Resolves when every line logged so far has been handed to the OS. */
  flush(): Promise<void>;
  /** Flushes and closes the destination (stdout and stderr stay open). */
  close(): Promise<void>;
}

export interface LoggerOptions {
  /**
   * Replaces stdout/stderr as the destination. The daemon passes process.stdout
   * when the audit trail also goes to stdout: one Node stream then orders both,
   * where a synchronous write straight to fd 1 could split an audit line that
   * process.stdout had only partly written to a full pipe.
   */
  readonly stream?: Writable;
}

export function createLogger(config: LoggingConfig, o: LoggerOptions = {}): LoggerHandle {
  const sink = openSink(config, o.stream);
  const plain = config.format === 'plain';
  // pino calls flush(cb) on its destination for logger.flush(cb): answer it from the sink's promise.
  const destination: DestinationStream & { flush(cb: (err?: Error) => void): void } = {
    write: plain ? (s: string) => void sink.write(formatPlainLine(s)) : (s: string) => void sink.write(s),
    flush: (cb) => void sink.flush().then(() => cb(), cb),
  };
  const logger = pino(
    {
      level: config.level,
      // ISO time and level names: readable as they are, and what log shippers parse without configuration.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    logger,
    requestFields: (context, traceId) => requestFields(config, context, traceId),
    flush: () => sink.flush(),
    close: () => sink.close(),
  };
}

/** The enabled request fields: trace_id as given, user_id from context.user.id, metadata from context.metadata. */
export function requestFields(config: Pick<LoggingConfig, 'include_trace_id' | 'include_user_id' | 'include_metadata'>, context: unknown, traceId?: string): RequestLogFields {
  const out: RequestLogFields = {};
  if (config.include_trace_id && traceId) out.trace_id = traceId;
  const ctx = isRecord(context) ? context : undefined;
  if (config.include_user_id && ctx && isRecord(ctx.user)) {
    const id = ctx.user.id;
    if (typeof id === 'string' || typeof id === 'number') out.user_id = String(id);
  }
  if (config.include_metadata && ctx && isRecord(ctx.metadata)) out.metadata = ctx.metadata;
  return out;
}

interface Sink {
  write(s: string): unknown;
  flush(): Promise<void>;
  close(): Promise<void>;
}

function openSink(config: LoggingConfig, override: Writable | undefined): Sink {
  if (config.output === 'file' && config.file.rotate) {
    return streamSink(openRotatingFile({ path: config.file.path, maxSizeMb: config.file.max_size_mb, maxFiles: config.file.max_files }), true);
  }
  if (config.output !== 'file' && override) return streamSink(override, false);
  if (config.output === 'file') ensureWritableDir(config.file.path); // a bad path fails here, by name
  const dest = pino.destination({ dest: config.output === 'file' ? config.file.path : config.output === 'stderr' ? 2 : 1, sync: true });
  let closing: Promise<void> | undefined;
  return {
    write: (s) => (closing ? false : dest.write(s)), // a line logged after close() must not throw
    flush: async () => undefined, // synchronous: already written
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        dest.once('close', () => resolve());
        dest.end();
      })),
  };
}

/** A Node stream: flushing is an empty write whose callback runs once everything before it is written. */
function streamSink(stream: Writable, owned: boolean): Sink {
  // A log file that fails (disk full, removed directory) must not take the daemon down with it: say so once on stderr.
  if (owned) stream.once('error', (e: Error) => process.stderr.write(`policy-engine: log file failed, later log lines are lost: ${e.message}\n`));
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      if (stream.destroyed || stream.writableEnded) return resolve();
      stream.write('', (err) => (err ? reject(err) : resolve()));
    });
  return {
    write: (s) => (stream.writableEnded || stream.destroyed ? false : stream.write(s)),
    flush,
    close: async () => {
      await flush();
      if (!owned || stream.writableEnded) return;
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
