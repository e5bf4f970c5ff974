// A size-rotated file for logs and audit records, on rotating-file-stream in
// its "classical" mode: the live file keeps its name (what `tail -F` and log
// shippers follow) and rotated files become FILE.1 (newest) … FILE.N (oldest).

import { accessSync, constants, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

export interface RotatingFileOptions {
  readonly path: string;
  /** Size at which the live file is rotated (fractions allowed: tests use a few KB). */
  readonly maxSizeMb: number;
  /** Rotated files kept besides the live one; older ones are deleted. */
  readonly maxFiles: number;
}

/**
 * Opens (creating its directory) a rotating file. The directory is created and
 * checked for write access synchronously so a bad path is an error at start-up
 * that names the file, not an 'error' event after the first write.
 */
export function openRotatingFile(o: RotatingFileOptions): RotatingFileStream {
  const dir = ensureWritableDir(o.path);
  return createStream(basename(o.path), {
    path: dir,
    // rotating-file-stream takes an integer and a unit; bytes keep fractional megabytes exact.
    size: `${Math.max(1, Math.round(o.maxSizeMb * 1024 * 1024))}B`,
    rotate: Math.max(1, Math.floor(o.maxFiles)),
  });
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
