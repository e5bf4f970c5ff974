// The JSON Schema (draft-07) of the daemon's configuration file: every section
// and key of the deployment guide, plus ours (marked "Ours."). This object is
// the source; schema/config.schema.json is a copy for editors, kept identical by
// test/config/schema.test.ts (UPDATE_CONFIG_SCHEMA=1 rewrites it). Defaults come
// from DEFAULT_CONFIG, so the two cannot disagree.
//
// The helpers below also record what kind of value a key holds (an address, a
// URL, a file path...): the error translator words its messages by kind, and
// the loader resolves relative file paths against the config file's directory.

import { DEFAULT_CONFIG as D } from './defaults.js';

export type JsonSchema = { readonly [key: string]: unknown };

export type FieldKind = 'address' | 'port' | 'http-url' | 'registry-url' | 'redis-url' | 'endpoint' | 'origin' | 'http-path' | 'host' | 'file-path';

const kinds = new WeakMap<object, FieldKind>();

/** The kind of a leaf schema of CONFIG_SCHEMA (by identity), if it has one. */
export function fieldKind(schema: unknown): FieldKind | undefined {
  return schema !== null && typeof schema === 'object' ? kinds.get(schema) : undefined;
}

const PORT = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
const HOST = '(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)';
/** host:port; an IPv6 host in brackets: [::]:50051. */
export const ADDRESS_PATTERN = `^${HOST}:${PORT}$`;
const HOST_PATTERN = `^${HOST}$`;

function kind<T extends Record<string, unknown>>(k: FieldKind, schema: T): T {
  kinds.set(schema, k);
  return schema;
}

function section(description: string, properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', description, additionalProperties: false, properties };
}

function bool(description: string, def: boolean): JsonSchema {
  return { type: 'boolean', description, default: def };
}

function integer(description: string, def: number, minimum: number, maximum?: number): JsonSchema {
  return { type: 'integer', description, default: def, minimum, ...(maximum === undefined ? {} : { maximum }) };
}

/** A number above zero (sizes, durations). */
function positive(description: string, def: number): JsonSchema {
  return { type: 'number', description, default: def, exclusiveMinimum: 0 };
}

function choice(description: string, values: readonly string[], def: string): JsonSchema {
  return { type: 'string', description, enum: [...values], default: def };
}

function text(description: string, def: string, opts: { empty?: boolean } = {}): JsonSchema {
  return { type: 'string', description, default: def, ...(opts.empty ? {} : { minLength: 1 }) };
}

function address(description: string, def: string): JsonSchema {
  return kind('address', { type: 'string', description, default: def, pattern: ADDRESS_PATTERN });
}

function port(description: string, def: number): JsonSchema {
  return kind('port', { type: 'integer', description, default: def, minimum: 1, maximum: 65535 });
}

function host(description: string, def: string): JsonSchema {
  return kind('host', { type: 'string', description, default: def, pattern: HOST_PATTERN });
}

function httpUrl(description: string, def: string): JsonSchema {
  return kind('http-url', { type: 'string', description, default: def, pattern: '^https?://[^\\s/?#]+[^\\s]*$' });
}

function endpoint(description: string, def: string): JsonSchema {
  return kind('endpoint', { type: 'string', description, default: def, pattern: '^[A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#]+[^\\s]*$' });
}

function redisUrl(description: string, def: string): JsonSchema {
  return kind('redis-url', { type: 'string', description, default: def, pattern: '^rediss?://[^\\s]+$' });
}

/** `def` undefined: an optional key without a default. */
function filePath(description: string, def: string | undefined, opts: { empty?: boolean } = {}): JsonSchema {
  return kind('file-path', { type: 'string', description, ...(def === undefined ? {} : { default: def }), ...(opts.empty ? {} : { minLength: 1 }) });
}

const NOT_ACTIVE = 'Not active in this release: accepted and validated, and reported at start-up.';

export const CONFIG_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'llm-policy-engine daemon configuration',
  description:
    'The configuration file of `policy-engine daemon` (the deployment guide\'s "Daemon Configuration File"). Every key is optional; an empty file runs with the defaults. POLICY_ENGINE_* environment variables override the file. Reference: docs/configuration.md.',
  type: 'object',
  additionalProperties: false,
  properties: {
    server: section('The gRPC and REST servers: addresses, protocol settings, TLS and request limits.', {
      listen_address: address(
        'Address the gRPC API listens on, as host:port (0.0.0.0: every interface; 127.0.0.1: this machine only; IPv6 in brackets, e.g. [::]:50051). Environment: POLICY_ENGINE_LISTEN_ADDRESS.',
        D.server.listen_address,
      ),
      grpc: section('gRPC protocol settings.', {
        max_concurrent_streams: integer('The most calls (HTTP/2 streams) one client connection may have open at once.', D.server.grpc.max_concurrent_streams, 1),
        keepalive_interval_seconds: positive('How often the server pings a client connection to check that it is alive, in seconds.', D.server.grpc.keepalive_interval_seconds),
        keepalive_timeout_seconds: positive('How long the server waits for the answer to a keepalive ping before it closes the connection, in seconds.', D.server.grpc.keepalive_timeout_seconds),
        max_connection_age_seconds: positive(
          'A connection is closed gracefully after this many seconds, so that clients reconnect and load spreads over new replicas.',
          D.server.grpc.max_connection_age_seconds,
        ),
      }),
      http: section('The REST API (and the /health endpoints).', {
        enabled: bool('Serve the REST API. Environment: POLICY_ENGINE_HTTP_ENABLED.', D.server.http.enabled),
        listen_address: address(
          'Address the REST API listens on, as host:port. Environment: POLICY_ENGINE_HTTP_LISTEN_ADDRESS (the whole address), POLICY_ENGINE_HTTP_PORT (its port).',
          D.server.http.listen_address,
        ),
        cors_enabled: bool('Send CORS headers and answer preflight requests, so that web pages on the allowed origins can call the REST API.', D.server.http.cors_enabled),
        cors_allowed_origins: {
          type: 'array',
          description: "Origins allowed to call the REST API from a browser, each scheme://host[:port] without a path; '*' allows any origin.",
          default: [...D.server.http.cors_allowed_origins],
          uniqueItems: true,
          items: kind('origin', { type: 'string', description: "An origin such as https://app.example.com, or '*'.", pattern: '^(\\*|[A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#]+)$' }),
        },
      }),
      tls: section('TLS for the gRPC and REST APIs; mTLS with client_auth.', {
        enabled: bool('Serve the gRPC and REST APIs over TLS, with cert_file and key_file.', D.server.tls.enabled),
        cert_file: filePath('The server certificate (PEM), with any intermediate certificates after it.', D.server.tls.cert_file),
        key_file: filePath("The server certificate's private key (PEM).", D.server.tls.key_file),
        client_auth: bool('mTLS: require a client certificate signed by ca_file (or, without ca_file, by a CA the system trusts). Needs enabled: true.', D.server.tls.client_auth),
        ca_file: filePath('Ours. The CA certificates (PEM) that client certificates must be signed by, for client_auth. Default: the CAs the system trusts.', undefined),
      }),
      limits: section('Limits on requests and connections.', {
        max_request_size_mb: positive('The largest request accepted, in MB (1 MB = 1,048,576 bytes); larger ones are refused (REST: 413).', D.server.limits.max_request_size_mb),
        request_timeout_seconds: positive('How long one request may take, in seconds, before it fails with a timeout.', D.server.limits.request_timeout_seconds),
        max_connections: integer('The most client connections open at once (per API); further connections are refused.', D.server.limits.max_connections, 1),
        max_batch_size: integer('Ours. The most contexts one batch evaluation may hold.', D.server.limits.max_batch_size, 1),
      }),
    }),
    registry: section('Where policies come from: the local policy directory and, in a later release, a policy registry.', {
      url: kind('registry-url', {
        type: 'string',
        description: `The policy registry's base URL (http or https); empty: no registry. ${NOT_ACTIVE} Environment: POLICY_ENGINE_REGISTRY_URL.`,
        default: D.registry.url,
        pattern: '^(https?://[^\\s/?#]+[^\\s]*)?$',
      }),
      namespace: text(`The registry namespace whose policies are synced. ${NOT_ACTIVE} Environment: POLICY_ENGINE_REGISTRY_NAMESPACE.`, D.registry.namespace),
      sync_interval_seconds: integer(`How often to check the registry for new policies, in seconds. ${NOT_ACTIVE}`, D.registry.sync_interval_seconds, 1),
      initial_sync_timeout_seconds: integer(`How long start-up waits for the first sync, in seconds. ${NOT_ACTIVE}`, D.registry.initial_sync_timeout_seconds, 1),
      auth: section(`How the daemon authenticates to the registry. ${NOT_ACTIVE}`, {
        type: choice('token: a bearer token (token_file, or POLICY_ENGINE_REGISTRY_AUTH_TOKEN); mtls: the client certificate; oauth2: client credentials.', ['token', 'mtls', 'oauth2'], D.registry.auth.type),
        token_file: filePath('A file holding the registry token. POLICY_ENGINE_REGISTRY_AUTH_TOKEN, when set, gives the token itself and takes precedence.', D.registry.auth.token_file),
      }),
      fallback_to_local: bool(`Serve the policies in local_policy_dir when the registry cannot be reached. ${NOT_ACTIVE}`, D.registry.fallback_to_local),
      local_policy_dir: filePath(
        'The directory of policy files (.yaml, .yml, .json; searched recursively) the daemon loads and watches: a change is live within a second, a broken change keeps the last good set. Environment: POLICY_ENGINE_POLICY_DIR.',
        D.registry.local_policy_dir,
      ),
    }),
    cache: section('Caches: decisions, compiled policies and, in a later release, a shared Redis cache.', {
      decision_cache: section('Decisions of identical contexts, kept in memory (per process) until the policies change.', {
        enabled: bool('Cache decisions. Policy sets with rate limits, budgets or now() are never cached.', D.cache.decision_cache.enabled),
        capacity: integer('The most decisions kept. Environment: POLICY_ENGINE_CACHE_CAPACITY.', D.cache.decision_cache.capacity, 1),
        ttl_seconds: {
          type: 'number',
          description: 'How long a decision stays cached, in seconds; 0: until evicted or the policies change. Environment: POLICY_ENGINE_CACHE_TTL_SECONDS.',
          default: D.cache.decision_cache.ttl_seconds,
          minimum: 0,
        },
        eviction_policy: choice('Which decision makes room when the cache is full: lru (least recently used), lfu (least frequently used) or ttl (closest to expiry).', ['lru', 'lfu', 'ttl'], D.cache.decision_cache.eviction_policy),
      }),
      compilation_cache: section('Compiled policies kept across reloads, so that unchanged policies are not compiled again.', {
        enabled: bool('Keep compiled policies across reloads.', D.cache.compilation_cache.enabled),
        capacity: integer('The most compiled policies kept.', D.cache.compilation_cache.capacity, 1),
      }),
      distributed: section(`A decision cache in Redis shared by replicas. ${NOT_ACTIVE}`, {
        enabled: bool(`Share cached decisions through Redis. ${NOT_ACTIVE}`, D.cache.distributed.enabled),
        redis_url: redisUrl('The Redis server, e.g. redis://localhost:6379 (rediss:// for TLS).', D.cache.distributed.redis_url),
        key_prefix: text('Prefix of every Redis key the cache writes.', D.cache.distributed.key_prefix, { empty: true }),
        ttl_seconds: positive('How long a decision stays in Redis, in seconds.', D.cache.distributed.ttl_seconds),
      }),
    }),
    runtime: section('Processes, and (in later releases) the sandbox for custom functions and evaluation settings.', {
      worker_threads: integer(
        'How many processes serve requests (the cores the daemon uses); 0: one per available core. Environment: POLICY_ENGINE_WORKER_THREADS.',
        D.runtime.worker_threads,
        0,
        1024,
      ),
      blocking_threads: integer(`Threads for blocking work such as file I/O. ${NOT_ACTIVE}`, D.runtime.blocking_threads, 1, 1024),
      sandbox: section(`Limits for custom functions written in JavaScript, run in a sandbox. ${NOT_ACTIVE}`, {
        max_memory_mb: integer('The memory one sandbox may use, in MB.', D.runtime.sandbox.max_memory_mb, 1),
        max_execution_ms: integer('How long one call may run, in milliseconds.', D.runtime.sandbox.max_execution_ms, 1),
        max_stack_size_mb: positive('The stack size of the sandbox, in MB.', D.runtime.sandbox.max_stack_size_mb),
      }),
      evaluation: section(`How policies are evaluated. ${NOT_ACTIVE}`, {
        parallel_evaluation: bool('Evaluate independent policies in parallel.', D.runtime.evaluation.parallel_evaluation),
        max_parallel_policies: integer('The most policies evaluated in parallel.', D.runtime.evaluation.max_parallel_policies, 1),
      }),
    }),
    integrations: section(`The other LLM DevOps services. ${NOT_ACTIVE}`, {
      llm_shield: section(`LLM-Shield: security scanning. ${NOT_ACTIVE}`, {
        enabled: bool('Call LLM-Shield.', D.integrations.llm_shield.enabled),
        url: httpUrl('LLM-Shield base URL. Environment: POLICY_ENGINE_SHIELD_URL.', D.integrations.llm_shield.url),
        timeout_ms: integer('Timeout of one call, in milliseconds.', D.integrations.llm_shield.timeout_ms, 1),
        retry_attempts: integer('Retries after a failed call.', D.integrations.llm_shield.retry_attempts, 0, 100),
      }),
      llm_costops: section(`LLM-CostOps: cost data. ${NOT_ACTIVE}`, {
        enabled: bool('Call LLM-CostOps.', D.integrations.llm_costops.enabled),
        url: httpUrl('LLM-CostOps base URL. Environment: POLICY_ENGINE_COSTOPS_URL.', D.integrations.llm_costops.url),
        timeout_ms: integer('Timeout of one call, in milliseconds.', D.integrations.llm_costops.timeout_ms, 1),
        retry_attempts: integer('Retries after a failed call.', D.integrations.llm_costops.retry_attempts, 0, 100),
      }),
      llm_governance: section(`LLM-Governance: audit and compliance records. ${NOT_ACTIVE}`, {
        enabled: bool('Send records to LLM-Governance.', D.integrations.llm_governance.enabled),
        url: httpUrl('LLM-Governance base URL. Environment: POLICY_ENGINE_GOVERNANCE_URL.', D.integrations.llm_governance.url),
        timeout_ms: integer('Timeout of one call, in milliseconds.', D.integrations.llm_governance.timeout_ms, 1),
        async_logging: bool('Send records in the background, without delaying decisions.', D.integrations.llm_governance.async_logging),
      }),
      llm_edge_agent: section(`LLM-Edge-Agent: policy distribution to edge agents. ${NOT_ACTIVE}`, {
        enabled: bool('Sync with LLM-Edge-Agent.', D.integrations.llm_edge_agent.enabled),
        sync_interval_seconds: integer('How often to sync, in seconds.', D.integrations.llm_edge_agent.sync_interval_seconds, 1),
      }),
    }),
    logging: section('The daemon log (pino): level, format and destination.', {
      level: choice('The least severe level logged. Environment: POLICY_ENGINE_LOG_LEVEL.', ['trace', 'debug', 'info', 'warn', 'error'], D.logging.level),
      format: choice('json: one JSON object per line; plain: readable text. Environment: POLICY_ENGINE_LOG_FORMAT.', ['json', 'plain'], D.logging.format),
      output: choice('Where log lines go: stdout, stderr, or the file in logging.file.', ['stdout', 'stderr', 'file'], D.logging.output),
      file: section('The log file, for output: file.', {
        path: filePath('The log file.', D.logging.file.path),
        max_size_mb: positive('With rotate: the size, in MB, at which the file is rotated.', D.logging.file.max_size_mb),
        max_files: integer('With rotate: how many rotated files are kept.', D.logging.file.max_files, 1),
        rotate: bool('Rotate the file by size.', D.logging.file.rotate),
      }),
      include_trace_id: bool("Add the request's trace id to request log lines.", D.logging.include_trace_id),
      include_user_id: bool("Add the context's user id to request log lines.", D.logging.include_user_id),
      include_metadata: bool("Add the context's metadata to request log lines.", D.logging.include_metadata),
    }),
    metrics: section('Metrics: Prometheus and, in later releases, OpenTelemetry and StatsD.', {
      enabled: bool('Collect and serve metrics. Environment: POLICY_ENGINE_METRICS_ENABLED.', D.metrics.enabled),
      prometheus: section('The Prometheus endpoint, on its own port.', {
        enabled: bool('Serve metrics for Prometheus to scrape.', D.metrics.prometheus.enabled),
        port: port('The port of the metrics endpoint. Environment: POLICY_ENGINE_METRICS_PORT.', D.metrics.prometheus.port),
        path: kind('http-path', { type: 'string', description: 'The path of the metrics endpoint.', default: D.metrics.prometheus.path, pattern: '^/[^\\s?#]*$' }),
      }),
      opentelemetry: section(`Export metrics over OTLP. ${NOT_ACTIVE}`, {
        enabled: bool('Export metrics over OTLP.', D.metrics.opentelemetry.enabled),
        endpoint: endpoint('The OTLP collector, e.g. http://otel-collector:4317.', D.metrics.opentelemetry.endpoint),
        service_name: text('The service name metrics are reported under.', D.metrics.opentelemetry.service_name),
      }),
      statsd: section(`Send metrics to StatsD. ${NOT_ACTIVE}`, {
        enabled: bool('Send metrics to StatsD.', D.metrics.statsd.enabled),
        host: host('The StatsD host (a name or an IP address).', D.metrics.statsd.host),
        port: port('The StatsD port (UDP).', D.metrics.statsd.port),
        prefix: text('Prefix of every metric name.', D.metrics.statsd.prefix, { empty: true }),
      }),
    }),
    tracing: section(`Distributed tracing. ${NOT_ACTIVE}`, {
      enabled: bool('Record traces.', D.tracing.enabled),
      opentelemetry: section('Export traces over OTLP.', {
        enabled: bool('Export traces over OTLP.', D.tracing.opentelemetry.enabled),
        endpoint: endpoint('The OTLP collector, e.g. http://jaeger:4317.', D.tracing.opentelemetry.endpoint),
        service_name: text('The service name traces are reported under.', D.tracing.opentelemetry.service_name),
        sample_rate: { type: 'number', description: 'The share of requests traced, from 0 (none) to 1 (all).', default: D.tracing.opentelemetry.sample_rate, minimum: 0, maximum: 1 },
      }),
      jaeger: section('Export traces to a Jaeger agent.', {
        enabled: bool('Export traces to a Jaeger agent.', D.tracing.jaeger.enabled),
        agent_host: host('The Jaeger agent host.', D.tracing.jaeger.agent_host),
        agent_port: port('The Jaeger agent port (UDP).', D.tracing.jaeger.agent_port),
      }),
    }),
    audit: section('The audit trail: one record per decision.', {
      enabled: bool('Write audit records.', D.audit.enabled),
      log_all_decisions: bool('Audit every decision.', D.audit.log_all_decisions),
      log_denied_only: bool('Audit denied requests only; takes precedence over log_all_decisions.', D.audit.log_denied_only),
      output: choice('Where records go: stdout, the file in audit.file, or governance (LLM-Governance; not active in this release: records go to stdout, and start-up says so).', ['governance', 'file', 'stdout'], D.audit.output),
      file: section('The audit file, for output: file; rotated by size.', {
        path: filePath('The audit file.', D.audit.file.path),
        max_size_mb: positive('The size, in MB, at which the file is rotated.', D.audit.file.max_size_mb),
        max_files: integer('How many rotated files are kept.', D.audit.file.max_files, 1),
      }),
      buffer_size: integer(
        'Ours. How many records are held in memory while the output is slow; beyond that, records are dropped and counted in a metric.',
        D.audit.buffer_size,
        1,
      ),
    }),
    features: section(`Feature flags. ${NOT_ACTIVE}`, {
      experimental_wasm: bool('Experimental: WebAssembly policies.', D.features.experimental_wasm),
      experimental_distributed_tracing: bool('Experimental: propagate traces to the integrations.', D.features.experimental_distributed_tracing),
      zero_copy_serialization: bool('Serialize responses without intermediate copies.', D.features.zero_copy_serialization),
      adaptive_caching: bool('Tune the decision cache to the traffic.', D.features.adaptive_caching),
    }),
    debug: section(`Development and profiling. ${NOT_ACTIVE}`, {
      enabled: bool('Debug mode.', D.debug.enabled),
      cpu_profile: bool('Write a CPU profile to cpu_profile_path on shutdown.', D.debug.cpu_profile),
      cpu_profile_path: filePath('Where the CPU profile is written.', D.debug.cpu_profile_path),
      memory_profile: bool('Write a heap profile to memory_profile_path on shutdown.', D.debug.memory_profile),
      memory_profile_path: filePath('Where the heap profile is written.', D.debug.memory_profile_path),
      pprof_enabled: bool('Serve profiling endpoints on pprof_port.', D.debug.pprof_enabled),
      pprof_port: port('The port of the profiling endpoints.', D.debug.pprof_port),
    }),
    limits: section('Ours. Where rate limits and budgets keep their counts.', {
      store: choice(
        "memory: in the daemon's memory (one store for all its worker processes; each replica counts on its own); redis: in Redis, shared by every replica. Environment: POLICY_ENGINE_LIMITS_STORE.",
        ['memory', 'redis'],
        D.limits.store,
      ),
      redis_url: redisUrl('For store: redis, the Redis server, e.g. redis://localhost:6379 (rediss:// for TLS). Environment: POLICY_ENGINE_LIMITS_REDIS_URL.', D.limits.redis_url),
      key_prefix: text('Prefix of every Redis key the limits write.', D.limits.key_prefix, { empty: true }),
      fail_mode: choice('When the store cannot be reached: closed refuses the request, open skips the limits and budgets.', ['open', 'closed'], D.limits.fail_mode),
      command_timeout_ms: integer('How long one Redis command may take, in milliseconds, before the store counts as unreachable.', D.limits.command_timeout_ms, 1),
    }),
    pricing: section('Ours. Model prices for cost() and dollar budgets.', {
      file: filePath(
        'A pricing JSON file applied over the shipped price table (docs/functions.md); empty: the shipped table only. Environment: POLICY_ENGINE_PRICING_FILE.',
        D.pricing.file,
        { empty: true },
      ),
    }),
  },
};
