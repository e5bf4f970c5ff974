// Where audit records go: stdout (JSON lines, for a log collector) or a file
// rotated by size. The governance service is accepted by the configuration
// but not implemented yet; asking for it is an error, not a silent fallback,
// because an operator who configured it expects records to arrive there.

import type { Writable } from 'node:stream';
import type { AuditConfig } from '../config/types.js';
import { openRotatingFile } from '../observability/rotating-file.js';

export class AuditOutputUnavailableError extends Error {
  constructor(readonly output: string) {
    super(`audit.output '${output}' is not implemented yet: use 'file' or 'stdout' (or set audit.enabled: false)`);
    this.name = 'AuditOutputUnavailableError';
  }
}

export interface AuditSink {
  readonly stream: Writable;
  /** Ours to end on close (the file); stdout is left open for the rest of the process. */
  readonly owned: boolean;
}

export function openAuditSink(config: AuditConfig, stdout: Writable = process.stdout): AuditSink {
  switch (config.output) {
    case 'stdout':
      return { stream: stdout, owned: false };
    case 'file':
      return { stream: openRotatingFile({ path: config.file.path, maxSizeMb: config.file.max_size_mb, maxFiles: config.file.max_files }), owned: true };
    default:
      throw new AuditOutputUnavailableError(config.output);
  }
}
