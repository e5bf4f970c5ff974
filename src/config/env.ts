// POLICY_ENGINE_* environment variables: the deployment guide's list, plus a
// few of ours (marked guide: false). Each one sets one key; its value is parsed
// for the key's type here and then validated by the schema like a value from
// the file, so a bad value is a problem that names the variable.
//
// The environment is a parameter, never process.env read from in here, so that
// loading is pure and testable.

import { closest } from '../policy/suggest.js';
import { makeProblem, type ConfigNote, type ConfigProblem } from './problems.js';
import { Secret } from './secret.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvVariable {
  readonly name: string;
  /** The key it sets (dotted path). */
  readonly key: string;
  /**
   * How the text is read: `port` is a port number; `address-port` a port number
   * that replaces the port of the address at `key` (its host stays); `secret`
   * is kept as a Secret, outside the schema.
   */
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'port' | 'address-port' | 'secret';
  /** In the deployment guide's list (otherwise ours). */
  readonly guide: boolean;
  readonly description: string;
}

export const ENV_PREFIX = 'POLICY_ENGINE_';

/** In the order they are applied: a later variable wins over an earlier one for the same key. */
export const ENV_VARIABLES: readonly EnvVariable[] = [
  // Server
  { name: 'POLICY_ENGINE_LISTEN_ADDRESS', key: 'server.listen_address', type: 'string', guide: true, description: 'The gRPC address, host:port.' },
  { name: 'POLICY_ENGINE_HTTP_ENABLED', key: 'server.http.enabled', type: 'boolean', guide: true, description: 'Serve the REST API.' },
  { name: 'POLICY_ENGINE_HTTP_LISTEN_ADDRESS', key: 'server.http.listen_address', type: 'string', guide: false, description: 'The REST address, host:port.' },
  { name: 'POLICY_ENGINE_HTTP_PORT', key: 'server.http.listen_address', type: 'address-port', guide: true, description: 'The port of the REST address (its host stays).' },
  // Registry and policies
  { name: 'POLICY_ENGINE_REGISTRY_URL', key: 'registry.url', type: 'string', guide: true, description: 'The policy registry URL.' },
  { name: 'POLICY_ENGINE_REGISTRY_NAMESPACE', key: 'registry.namespace', type: 'string', guide: true, description: 'The registry namespace.' },
  { name: 'POLICY_ENGINE_REGISTRY_AUTH_TOKEN', key: 'registry.auth.token', type: 'secret', guide: true, description: 'The registry token itself (takes precedence over registry.auth.token_file; never logged).' },
  { name: 'POLICY_ENGINE_POLICY_DIR', key: 'registry.local_policy_dir', type: 'string', guide: false, description: 'The policy directory the daemon loads and watches.' },
  // Cache
  { name: 'POLICY_ENGINE_CACHE_CAPACITY', key: 'cache.decision_cache.capacity', type: 'integer', guide: true, description: 'The most decisions cached.' },
  { name: 'POLICY_ENGINE_CACHE_TTL_SECONDS', key: 'cache.decision_cache.ttl_seconds', type: 'number', guide: true, description: 'How long a decision stays cached.' },
  // Runtime
  { name: 'POLICY_ENGINE_WORKER_THREADS', key: 'runtime.worker_threads', type: 'integer', guide: false, description: 'Processes serving requests; 0: one per core.' },
  // Integrations
  { name: 'POLICY_ENGINE_SHIELD_URL', key: 'integrations.llm_shield.url', type: 'string', guide: true, description: 'LLM-Shield base URL.' },
  { name: 'POLICY_ENGINE_COSTOPS_URL', key: 'integrations.llm_costops.url', type: 'string', guide: true, description: 'LLM-CostOps base URL.' },
  { name: 'POLICY_ENGINE_GOVERNANCE_URL', key: 'integrations.llm_governance.url', type: 'string', guide: true, description: 'LLM-Governance base URL.' },
  // Logging
  { name: 'POLICY_ENGINE_LOG_LEVEL', key: 'logging.level', type: 'string', guide: true, description: 'trace, debug, info, warn or error.' },
  { name: 'POLICY_ENGINE_LOG_FORMAT', key: 'logging.format', type: 'string', guide: true, description: 'json or plain.' },
  // Metrics
  { name: 'POLICY_ENGINE_METRICS_ENABLED', key: 'metrics.enabled', type: 'boolean', guide: true, description: 'Collect and serve metrics.' },
  { name: 'POLICY_ENGINE_METRICS_PORT', key: 'metrics.prometheus.port', type: 'port', guide: true, description: 'The Prometheus port.' },
  // Limits and pricing
  { name: 'POLICY_ENGINE_LIMITS_STORE', key: 'limits.store', type: 'string', guide: false, description: 'memory or redis.' },
  { name: 'POLICY_ENGINE_LIMITS_REDIS_URL', key: 'limits.redis_url', type: 'string', guide: false, description: 'The Redis server for limits.store: redis.' },
  { name: 'POLICY_ENGINE_PRICING_FILE', key: 'pricing.file', type: 'string', guide: false, description: 'A pricing JSON file applied over the shipped table.' },
];

/** One variable's value, ready to apply over the file's value. */
export type EnvOverride =
  | { readonly variable: string; readonly path: readonly string[]; readonly kind: 'value'; readonly value: string | number | boolean }
  /** POLICY_ENGINE_HTTP_PORT: replaces the port of the address at `path`. */
  | { readonly variable: string; readonly path: readonly string[]; readonly kind: 'port'; readonly port: number };

export interface EnvReading {
  readonly overrides: EnvOverride[];
  /** POLICY_ENGINE_REGISTRY_AUTH_TOKEN. */
  readonly token?: Secret;
  readonly problems: ConfigProblem[];
  /** Variables that look like misspelt POLICY_ENGINE_* names. */
  readonly notes: ConfigNote[];
}

/**
 * Reads the POLICY_ENGINE_* variables of `env`. An empty value counts as
 * unset (as `VAR=` in Docker and Compose files usually means "not set");
 * values are trimmed (a token read from a file often ends with a newline).
 */
export function readEnvironment(env: Environment): EnvReading {
  const overrides: EnvOverride[] = [];
  const problems: ConfigProblem[] = [];
  let token: Secret | undefined;
  for (const v of ENV_VARIABLES) {
    const raw = env[v.name];
    if (raw === undefined || raw.trim() === '') continue;
    const text = raw.trim();
    const path = v.key.split('.');
    const bad = (expected: string, hint: string): void => {
      problems.push(makeProblem({ code: 'invalid-value', path: v.key, env: v.name, message: `${v.name} must be ${expected}, got '${text}'`, hint }));
    };
    switch (v.type) {
      case 'secret':
        token = new Secret(text);
        break;
      case 'string':
        overrides.push({ variable: v.name, path, kind: 'value', value: text });
        break;
      case 'boolean': {
        const b = parseBoolean(text);
        if (b === undefined) bad('true or false', `it sets ${v.key}; 1/0, yes/no and on/off are read too`);
        else overrides.push({ variable: v.name, path, kind: 'value', value: b });
        break;
      }
      case 'integer':
        if (!/^[+-]?\d+$/.test(text)) bad('a whole number', `it sets ${v.key}; write digits only, e.g. ${v.name}=${exampleFor(v)}`);
        else overrides.push({ variable: v.name, path, kind: 'value', value: Number(text) });
        break;
      case 'number':
        if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) bad('a number', `it sets ${v.key}; e.g. ${v.name}=${exampleFor(v)}`);
        else overrides.push({ variable: v.name, path, kind: 'value', value: Number(text) });
        break;
      case 'port':
      case 'address-port': {
        const port = /^\d+$/.test(text) ? Number(text) : NaN;
        if (!(port >= 1 && port <= 65535)) bad('a port number from 1 to 65535', `it sets ${v.type === 'port' ? v.key : `the port of ${v.key}`}, e.g. ${v.name}=${exampleFor(v)}`);
        else if (v.type === 'port') overrides.push({ variable: v.name, path, kind: 'value', value: port });
        else overrides.push({ variable: v.name, path, kind: 'port', port });
        break;
      }
      default:
        v.type satisfies never;
    }
  }
  return { overrides, ...(token === undefined ? {} : { token }), problems, notes: misspelt(env) };
}

function parseBoolean(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes' || t === 'on') return true;
  if (t === 'false' || t === '0' || t === 'no' || t === 'off') return false;
  return undefined;
}

function exampleFor(v: EnvVariable): string {
  switch (v.name) {
    case 'POLICY_ENGINE_CACHE_CAPACITY':
      return '10000';
    case 'POLICY_ENGINE_CACHE_TTL_SECONDS':
      return '300';
    case 'POLICY_ENGINE_METRICS_PORT':
      return '9090';
    case 'POLICY_ENGINE_HTTP_PORT':
      return '8080';
    default:
      return '1';
  }
}

/**
 * Kubernetes gives every pod variables for the services of its namespace; for
 * a service named policy-engine they are POLICY_ENGINE_SERVICE_HOST,
 * POLICY_ENGINE_PORT_50051_TCP and so on. Those are not typos.
 */
const SERVICE_LINK = /^POLICY_ENGINE_(SERVICE_(HOST|PORT)(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_\w+)?)?)$/;

/** Notes for POLICY_ENGINE_* variables the engine does not read that are near misses of ones it does. */
function misspelt(env: Environment): ConfigNote[] {
  const known = ENV_VARIABLES.map((v) => v.name.slice(ENV_PREFIX.length));
  const notes: ConfigNote[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || SERVICE_LINK.test(name) || known.includes(name.slice(ENV_PREFIX.length))) continue;
    const guess = closest(name.slice(ENV_PREFIX.length), known);
    if (guess === undefined) continue;
    notes.push({ kind: 'caution', path: name, message: `${name} is not a variable the engine reads (did you mean ${ENV_PREFIX}${guess}?); it has no effect` });
  }
  return notes;
}
