// Which files a list of paths stands for. Directories are searched recursively
// for .yaml, .yml and .json files; dotfiles, dot-directories and node_modules
// are skipped; the result is sorted so every replica loads in the same order.
// Symlinks are followed: Kubernetes mounts ConfigMaps as symlinks into a
// hidden `..data` directory, and a loop is cut by remembering real paths.

import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDiagnostic } from './diagnostic.js';
import type { Diagnostic } from './types.js';

const POLICY_FILE = /\.(ya?ml|json)$/i;

export interface Discovery {
  readonly files: string[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Files for `paths`, in the order the paths were given, each directory's files
 * sorted by path. A file named explicitly is read whatever its extension; a
 * file reached twice is listed once.
 */
export async function discoverPolicyFiles(paths: readonly string[]): Promise<Discovery> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = async (file: string): Promise<void> => {
    const real = await realpath(file).catch(() => file);
    if (seen.has(real)) return;
    seen.add(real);
    files.push(file);
  };

  for (const path of paths) {
    const info = await stat(path).catch((e: unknown) => e as NodeJS.ErrnoException);
    if (info instanceof Error) {
      diagnostics.push(fileProblem(path, info));
      continue;
    }
    if (!info.isDirectory()) {
      await add(path);
      continue;
    }
    const found: string[] = [];
    await walk(path, found, diagnostics, new Set());
    found.sort(comparePaths);
    if (found.length === 0) {
      diagnostics.push(
        makeDiagnostic({
          code: 'empty-directory',
          message: `no .yaml, .yml or .json files in directory '${path}'`,
          hint: 'check the path; files and directories whose names start with a dot are skipped',
          pos: { file: path, line: 1, column: 1 },
        }),
      );
    }
    for (const f of found) await add(f);
  }
  return { files, diagnostics };
}

async function walk(dir: string, out: string[], diagnostics: Diagnostic[], visited: Set<string>): Promise<void> {
  const real = await realpath(dir).catch(() => dir);
  if (visited.has(real)) return;
  visited.add(real);
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => e as NodeJS.ErrnoException);
  if (entries instanceof Error) {
    diagnostics.push(fileProblem(dir, entries));
    return;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      // A dangling link is no policy file; skipping it matches what an editor's file tree shows.
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir) await walk(path, out, diagnostics, visited);
    else if (isFile && POLICY_FILE.test(entry.name)) out.push(path);
  }
}

export function fileProblem(path: string, e: NodeJS.ErrnoException): Diagnostic {
  const pos = { file: path, line: 1, column: 1 };
  if (e.code === 'ENOENT') {
    return makeDiagnostic({ code: 'file-not-found', message: `no such file or directory: '${path}'`, hint: 'check the path', pos });
  }
  return makeDiagnostic({ code: 'read-error', message: `cannot read '${path}': ${e.code ?? e.message}`, pos });
}

/** Code-unit order, not locale order: the same on every machine. */
function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
