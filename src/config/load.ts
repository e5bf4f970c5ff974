// Loading the daemon's configuration: the file (YAML), then POLICY_ENGINE_*
// variables over it, then the defaults under both. Never throws on bad input:
// every problem of the file and the environment is reported, each with its key
// path and where it was written (file:line:column, or the variable).

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fieldName } from '../policy/describe.js';
import { Locator, type Path } from '../policy/locator.js';
import { SourceFile } from '../policy/source-file.js';
import { isRecord, valueAt } from '../policy/values.js';
import { withPort } from './address.js';
import { crossCheck } from './checks.js';
import { DEFAULT_CONFIG } from './defaults.js';
import { type Environment, readEnvironment } from './env.js';
import { cautions, inactiveSettings } from './notes.js';
import { hasConfigErrors, makeProblem, sortProblems, type ConfigNote, type ConfigProblem, type ProblemInit } from './problems.js';
import { CONFIG_SCHEMA, fieldKind, type JsonSchema } from './schema.js';
import type { DaemonConfig } from './types.js';
import { validateConfigValue } from './validate.js';
import { parseConfigYaml } from './yaml.js';

export interface LoadConfigOptions {
  /**
   * The environment whose POLICY_ENGINE_* variables override the file; none
   * when absent. The daemon passes process.env.
   */
  readonly env?: Environment;
  /**
   * Relative file paths written in the file (local_policy_dir, cert_file, ...)
   * are resolved against this directory. loadConfig: the file's directory;
   * parseConfig: none (paths are left as written). Paths from environment
   * variables are left as given (relative to the working directory).
   */
  readonly baseDir?: string;
}

export interface ConfigResult {
  /** The file name problems are reported under. */
  readonly file: string;
  /**
   * The effective configuration: defaults, then the file, then the environment.
   * When `ok` is false it is a best effort (bad values replaced by their
   * defaults) for tools to inspect; a daemon must not run on it.
   */
  readonly config: DaemonConfig;
  /** Every problem, sorted: the file's by line and column, then the environment's. */
  readonly problems: ConfigProblem[];
  /** No problem is an error (warnings allowed). */
  readonly ok: boolean;
  /** For the start-up log: settings not active in this release, risky combinations, misspelt variables. */
  readonly notes: ConfigNote[];
  /** The variables that set a key, in the order they were applied (the registry token is listed, never its value). */
  readonly fromEnv: readonly { readonly variable: string; readonly key: string }[];
}

/** Reads and checks a configuration file; a missing or unreadable file is a problem (code file-not-found or read-error). */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const notFound = err.code === 'ENOENT';
    const problem = makeProblem({
      code: notFound ? 'file-not-found' : 'read-error',
      path: '',
      message: notFound ? `no such file: '${path}'` : `cannot read '${path}': ${err.code === 'EISDIR' ? 'it is a directory' : (err.code ?? err.message)}`,
      hint: notFound ? 'check the path' : err.code === 'EISDIR' ? 'give the configuration file, e.g. /etc/policy-engine/config.yaml' : 'check the permissions of the file for the user the daemon runs as',
      pos: { file: path, line: 1, column: 1 },
    });
    return { file: path, config: DEFAULT_CONFIG, problems: [problem], ok: false, notes: [], fromEnv: [] };
  }
  return parseConfig(text, path, { ...options, baseDir: options.baseDir ?? dirname(resolve(path)) });
}

/**
 * Checks configuration text; `name` names it in problems. An empty text (or
 * only comments) is valid: everything takes its default.
 */
export function parseConfig(text: string, name: string, options: LoadConfigOptions = {}): ConfigResult {
  const src = new SourceFile(name, text);
  const parsed = parseConfigYaml(src);
  const problems: ConfigProblem[] = [...parsed.problems];
  const locator = parsed.root ? new Locator(parsed.root) : undefined;
  const fileValue = parsed.value;

  // The environment over the file.
  const env = readEnvironment(options.env ?? {});
  problems.push(...env.problems);
  const raw = structuredClone(fileValue);
  const fromEnv = new Map<string, string>();
  for (const o of env.overrides) {
    const parent = ensureParent(raw, o.path);
    if (!parent) continue; // the file has a value that is not a section there: reported by the schema
    const key = o.path[o.path.length - 1]!;
    if (o.kind === 'value') {
      parent[key] = o.value;
    } else {
      const current = parent[key] ?? valueAt(DEFAULT_CONFIG, o.path);
      if (typeof current !== 'string') continue;
      parent[key] = withPort(current, o.port);
    }
    fromEnv.set(o.path.join('.'), o.variable);
  }

  const where = (path: Path, at: 'key' | 'value'): Pick<ProblemInit, 'pos' | 'length' | 'sourceLine' | 'env'> => {
    const variable = envFor(fromEnv, path);
    if (variable) return { env: variable };
    if (!locator) return { pos: { file: name, line: 1, column: 1 } };
    const span = at === 'key' ? locator.keySpan(path) : locator.valueSpan(path);
    return { pos: span.pos, length: span.length, sourceLine: span.sourceLine };
  };

  // The schema.
  const issues = validateConfigValue(raw);
  for (const issue of issues) {
    problems.push(makeProblem({ code: issue.code, path: fieldName(issue.path), message: issue.message, hint: issue.hint, ...where(issue.path, issue.at) }));
  }

  // The best-effort value: what failed is dropped, so its default shows through.
  for (const issue of issues) removeAt(raw, issue.path);
  if (options.baseDir !== undefined) resolvePaths(raw, options.baseDir, fromEnv);
  const merged = merge(structuredClone(DEFAULT_CONFIG), raw) as DaemonConfig;
  const config: DaemonConfig = env.token ? { ...merged, registry: { ...merged.registry, auth: { ...merged.registry.auth, token: env.token } } } : merged;

  // Settings that cannot go together.
  const isSet = (path: Path): boolean => envFor(fromEnv, path) !== undefined || valueAt(fileValue, path) !== undefined;
  for (const c of crossCheck(config, isSet)) {
    problems.push(makeProblem({ code: c.code, path: fieldName(c.path), message: c.message, hint: c.hint, ...where(c.path, 'value') }));
  }

  const sorted = sortProblems(problems);
  const notes = [...inactiveSettings(config), ...cautions(config, { registryToken: env.token !== undefined }), ...env.notes];
  const applied = [...env.overrides.map((o) => ({ variable: o.variable, key: o.path.join('.') })), ...(env.token ? [{ variable: 'POLICY_ENGINE_REGISTRY_AUTH_TOKEN', key: 'registry.auth.token' }] : [])];
  return { file: name, config, problems: sorted, ok: !hasConfigErrors(sorted), notes, fromEnv: applied };
}

/** The variable that set `path` or one of its ancestors. */
function envFor(fromEnv: ReadonlyMap<string, string>, path: Path): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const v = fromEnv.get(path.slice(0, n).join('.'));
    if (v) return v;
  }
  return undefined;
}

/** The object that holds the last key of `path`, creating sections that are missing; undefined when a non-section is in the way. */
function ensureParent(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | undefined {
  let node = root;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (next === undefined) node[seg] = {};
    else if (!isRecord(next)) return undefined;
    node = node[seg] as Record<string, unknown>;
  }
  return node;
}

/** Deletes the value at `path` (a list as a whole, when the path goes into one). */
function removeAt(root: Record<string, unknown>, path: Path): void {
  const cut = path.findIndex((s) => typeof s === 'number');
  const p = cut < 0 ? path : path.slice(0, cut);
  if (p.length === 0) return;
  const parent = valueAt(root, p.slice(0, -1));
  if (isRecord(parent)) delete parent[String(p[p.length - 1])];
}

/** Defaults, with the sections and keys of `over` written over them; lists are replaced, not merged. */
function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isRecord(base) || !isRecord(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

const FILE_PATHS: readonly (readonly string[])[] = (() => {
  const out: string[][] = [];
  const walk = (schema: JsonSchema, path: string[]): void => {
    if (fieldKind(schema) === 'file-path') out.push(path);
    for (const [k, sub] of Object.entries((schema.properties as Record<string, JsonSchema> | undefined) ?? {})) walk(sub, [...path, k]);
  };
  walk(CONFIG_SCHEMA, []);
  return out;
})();

/** The keys that hold file or directory paths, e.g. `registry.local_policy_dir`. */
export function filePathKeys(): string[] {
  return FILE_PATHS.map((p) => p.join('.'));
}

function resolvePaths(raw: Record<string, unknown>, baseDir: string, fromEnv: ReadonlyMap<string, string>): void {
  for (const path of FILE_PATHS) {
    if (envFor(fromEnv, path)) continue;
    const parent = valueAt(raw, path.slice(0, -1));
    const key = path[path.length - 1]!;
    if (!isRecord(parent)) continue;
    const v = parent[key];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) parent[key] = resolve(baseDir, v);
  }
}
