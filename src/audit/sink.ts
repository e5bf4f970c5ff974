// Where audit records go: stdout (JSON lines, for a log collector) or a file
// rotated by size. The governance service is accepted by the configuration
// but not implemented yet: until it is, its records go to stdout, and the
// daemon says so at start-up (config/notes.ts) — no record is lost, and the
// guide's production file runs as written.

import type { Writable } from 'node:stream';
import type { AuditConfig } from '../config/types.js';
import { openRotatingFile } from '../observability/rotating-file.js';

export interface AuditSink {
  readonly stream: Writable;
  /** Ours to end on close (the file); stdout is left open for the rest of the process. */
  readonly owned: boolean;
}

export function openAuditSink(config: AuditConfig, stdout: Writable = process.stdout): AuditSink {
  switch (config.output) {
    case 'stdout':
    case 'governance':
      return { stream: stdout, owned: false };
    case 'file':
      return { stream: openRotatingFile({ path: config.file.path, maxSizeMb: config.file.max_size_mb, maxFiles: config.file.max_files }), owned: true };
  }
}
