// Shared by the configuration tests.

import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatConfigProblem, parseConfig, type ConfigProblem, type ConfigResult, type LoadConfigOptions } from '../../src/config/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'policy-engine.js');

/** parseConfig of YAML lines joined with newlines, named config.yaml. */
export function check(lines: readonly string[] | string, options?: LoadConfigOptions): ConfigResult {
  return parseConfig(typeof lines === 'string' ? lines : lines.join('\n') + '\n', 'config.yaml', options);
}

/** `line:col code path` for each problem: compact, and shows positions. */
export function brief(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => `${p.pos ? `${p.pos.line}:${p.pos.column}` : p.env} ${p.code} ${p.path}`);
}

export function shown(problems: readonly ConfigProblem[]): string {
  return problems.map(formatConfigProblem).join('\n\n');
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real binary in ROOT with exactly `env` for its POLICY_ENGINE_*
 * variables: those of the test process are removed, so a developer's shell
 * cannot change the results.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('POLICY_ENGINE_')));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 20_000, env: { ...base, ...env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        if (error.killed) resolve({ code: null, stdout, stderr });
        else reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
