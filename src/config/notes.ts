// What the daemon tells the operator at start-up about a valid configuration:
// settings accepted now whose features arrive in a later release, and
// combinations that work but are risky or surprising.

import type { ConfigNote } from './problems.js';
import { DEFAULT_CONFIG } from './defaults.js';
import type { DaemonConfig } from './types.js';

const LATER = 'is not available in this release';

/**
 * A note for every setting that asks for something this release does not do
 * (a registry, a Redis decision cache, integrations, tracing, OTLP and StatsD
 * metrics, the sandbox, evaluation settings, feature flags, profiling, audit
 * to LLM-Governance), saying what the daemon does instead. Settings left at
 * their defaults, or that switch such a feature off, get no note.
 */
export function inactiveSettings(config: DaemonConfig): ConfigNote[] {
  const notes: ConfigNote[] = [];
  const note = (path: string, message: string): void => {
    notes.push({ kind: 'inactive', path, message: `${path}: ${message}` });
  };
  const D = DEFAULT_CONFIG;

  if (config.registry.url !== '') {
    note('registry.url', `syncing policies from a registry ${LATER}; policies are loaded from registry.local_policy_dir (${config.registry.local_policy_dir}) only`);
  }
  if (config.cache.distributed.enabled) {
    note('cache.distributed.enabled', `the Redis decision cache ${LATER}; decisions are cached in memory by each process (cache.decision_cache)`);
  }

  const integrations = [
    ['llm_shield', 'LLM-Shield'],
    ['llm_costops', 'LLM-CostOps'],
    ['llm_governance', 'LLM-Governance'],
    ['llm_edge_agent', 'LLM-Edge-Agent'],
  ] as const;
  for (const [key, name] of integrations) {
    if (config.integrations[key].enabled) note(`integrations.${key}.enabled`, `the ${name} integration ${LATER}; it is not called`);
  }

  if (config.tracing.enabled) {
    const exporters = [config.tracing.opentelemetry.enabled ? 'opentelemetry' : '', config.tracing.jaeger.enabled ? 'jaeger' : ''].filter(Boolean);
    note('tracing.enabled', `tracing${exporters.length ? ` (${exporters.join(', ')})` : ''} ${LATER}; no spans are recorded or exported`);
  }

  if (config.metrics.enabled) {
    const also = config.metrics.prometheus.enabled ? '; Prometheus metrics (metrics.prometheus) are' : '';
    if (config.metrics.opentelemetry.enabled) note('metrics.opentelemetry.enabled', `exporting metrics over OTLP ${LATER}${also}`);
    if (config.metrics.statsd.enabled) note('metrics.statsd.enabled', `sending metrics to StatsD ${LATER}${also}`);
  }

  if (config.runtime.blocking_threads !== D.runtime.blocking_threads) {
    note('runtime.blocking_threads', `${LATER} as a setting; it has no effect (runtime.worker_threads sets the processes)`);
  }
  const changed = <T extends object>(section: T, defaults: T): string[] =>
    (Object.keys(defaults) as (keyof T)[]).filter((k) => section[k] !== defaults[k]).map(String);
  const sandbox = changed(config.runtime.sandbox, D.runtime.sandbox);
  if (sandbox.length > 0) note('runtime.sandbox', `the sandbox for custom functions ${LATER}; ${listKeys('runtime.sandbox', sandbox)} ${sandbox.length === 1 ? 'has' : 'have'} no effect`);
  const evaluation = changed(config.runtime.evaluation, D.runtime.evaluation);
  if (evaluation.length > 0) {
    note('runtime.evaluation', `evaluation settings are not available in this release (policies are evaluated one after another, in priority order); ${listKeys('runtime.evaluation', evaluation)} ${evaluation.length === 1 ? 'has' : 'have'} no effect`);
  }

  const features = changed(config.features, D.features);
  for (const f of features) note(`features.${f}`, `feature flags are not available in this release; setting it to ${String(config.features[f as keyof typeof config.features])} has no effect`);

  const debug = (['enabled', 'cpu_profile', 'memory_profile', 'pprof_enabled'] as const).filter((k) => config.debug[k]);
  for (const k of debug) {
    const what = k === 'enabled' ? 'debug mode' : k === 'cpu_profile' ? 'CPU profiling' : k === 'memory_profile' ? 'heap profiling' : 'the pprof endpoint';
    note(`debug.${k}`, `${what} ${LATER}; it has no effect${k === 'pprof_enabled' ? ' (nothing listens on debug.pprof_port)' : ''}`);
  }

  if (config.audit.enabled && config.audit.output === 'governance') {
    note('audit.output', `sending audit records to LLM-Governance ${LATER}; they are written to stdout instead`);
  }
  return notes;
}

/** Settings that work as written but are risky or probably not what was meant. */
export function cautions(config: DaemonConfig, opts: { registryToken?: boolean } = {}): ConfigNote[] {
  const notes: ConfigNote[] = [];
  const note = (path: string, message: string): void => {
    notes.push({ kind: 'caution', path, message: `${path}: ${message}` });
  };
  const { http, tls } = config.server;
  if (http.enabled && http.cors_enabled && http.cors_allowed_origins.includes('*') && tls.enabled) {
    note('server.http.cors_allowed_origins', "'*' lets a web page on any site call the REST API from a browser; list the origins that need it, e.g. ['https://app.example.com']");
  }
  if (tls.enabled && tls.client_auth && tls.ca_file === undefined) {
    note('server.tls.ca_file', 'client_auth is on without ca_file: a client certificate from any CA the system trusts is accepted; set ca_file to your own CA');
  }
  if (tls.ca_file !== undefined && !(tls.enabled && tls.client_auth)) {
    note('server.tls.ca_file', 'is used only with tls.enabled and tls.client_auth; it has no effect');
  }
  if (config.limits.fail_mode === 'open') {
    note('limits.fail_mode', 'open: while the limit store cannot be reached, requests are decided without their rate limits and budgets');
  }
  if (config.limits.store === 'memory' && config.limits.redis_url !== DEFAULT_CONFIG.limits.redis_url) {
    note('limits.redis_url', "is set but limits.store is 'memory': counts stay in the daemon; set limits.store: redis to use Redis");
  }
  if (config.audit.enabled && !config.audit.log_all_decisions && !config.audit.log_denied_only) {
    note('audit', 'audit is enabled but log_all_decisions and log_denied_only are both false: nothing is audited');
  }
  if (opts.registryToken && config.registry.url === '') {
    note('POLICY_ENGINE_REGISTRY_AUTH_TOKEN', 'is set but there is no registry.url; the token is not used');
  }
  return notes;
}

function listKeys(section: string, keys: readonly string[]): string {
  return keys.map((k) => `${section}.${k}`).join(', ');
}
