// The daemon's configuration: the deployment guide's file, section by section
// (docs/configuration.md). Every key has a default (defaults.ts), so a file
// needs only what it changes. Keys are snake_case as in the file; this is the
// validated, fully defaulted form the daemon works with.

import type { Secret } from './secret.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface DaemonConfig {
  readonly server: ServerConfig;
  readonly registry: RegistryConfig;
  readonly cache: CacheConfig;
  readonly runtime: RuntimeConfig;
  readonly integrations: IntegrationsConfig;
  readonly logging: LoggingConfig;
  readonly metrics: MetricsConfig;
  readonly tracing: TracingConfig;
  readonly audit: AuditConfig;
  readonly features: FeaturesConfig;
  readonly debug: DebugConfig;
  /** Ours, beyond the guide: where limits and budgets keep their counts. */
  readonly limits: LimitsConfig;
  /** Ours, beyond the guide: prices for cost() and dollar budgets. */
  readonly pricing: PricingConfig;
}

export interface ServerConfig {
  /** gRPC: host:port (default 0.0.0.0:50051). */
  readonly listen_address: string;
  readonly grpc: {
    readonly max_concurrent_streams: number;
    readonly keepalive_interval_seconds: number;
    readonly keepalive_timeout_seconds: number;
    readonly max_connection_age_seconds: number;
  };
  readonly http: {
    readonly enabled: boolean;
    /** REST: host:port (default 0.0.0.0:8080). */
    readonly listen_address: string;
    readonly cors_enabled: boolean;
    readonly cors_allowed_origins: readonly string[];
  };
  readonly tls: {
    readonly enabled: boolean;
    readonly cert_file: string;
    readonly key_file: string;
    /** mTLS: require a client certificate signed by `ca_file` (ours; default: the system CAs). */
    readonly client_auth: boolean;
    readonly ca_file?: string;
  };
  readonly limits: {
    readonly max_request_size_mb: number;
    readonly request_timeout_seconds: number;
    readonly max_connections: number;
    /** Ours: the most contexts one batch request may hold. */
    readonly max_batch_size: number;
  };
}

export interface RegistryConfig {
  /** Empty: no registry, the local policy directory only. */
  readonly url: string;
  readonly namespace: string;
  readonly sync_interval_seconds: number;
  readonly initial_sync_timeout_seconds: number;
  readonly auth: {
    readonly type: 'token' | 'mtls' | 'oauth2';
    readonly token_file: string;
    /**
     * Ours: the token itself, from POLICY_ENGINE_REGISTRY_AUTH_TOKEN only (never
     * from the file); takes precedence over token_file. A Secret prints as
     * [redacted] in logs, JSON and messages.
     */
    readonly token?: Secret;
  };
  readonly fallback_to_local: boolean;
  /** The policy directory the daemon loads and watches. */
  readonly local_policy_dir: string;
}

export interface CacheConfig {
  readonly decision_cache: {
    readonly enabled: boolean;
    readonly capacity: number;
    readonly ttl_seconds: number;
    readonly eviction_policy: 'lru' | 'lfu' | 'ttl';
  };
  readonly compilation_cache: {
    readonly enabled: boolean;
    readonly capacity: number;
  };
  readonly distributed: {
    readonly enabled: boolean;
    readonly redis_url: string;
    readonly key_prefix: string;
    readonly ttl_seconds: number;
  };
}

export interface RuntimeConfig {
  /** Processes serving requests (0: one per core available). */
  readonly worker_threads: number;
  readonly blocking_threads: number;
  readonly sandbox: {
    readonly max_memory_mb: number;
    readonly max_execution_ms: number;
    readonly max_stack_size_mb: number;
  };
  readonly evaluation: {
    readonly parallel_evaluation: boolean;
    readonly max_parallel_policies: number;
  };
}

export interface IntegrationConfig {
  readonly enabled: boolean;
  readonly url: string;
  readonly timeout_ms: number;
  readonly retry_attempts: number;
}

export interface IntegrationsConfig {
  readonly llm_shield: IntegrationConfig;
  readonly llm_costops: IntegrationConfig;
  readonly llm_governance: {
    readonly enabled: boolean;
    readonly url: string;
    readonly timeout_ms: number;
    readonly async_logging: boolean;
  };
  readonly llm_edge_agent: {
    readonly enabled: boolean;
    readonly sync_interval_seconds: number;
  };
}

export interface LoggingConfig {
  readonly level: LogLevel;
  readonly format: 'json' | 'plain';
  readonly output: 'stdout' | 'stderr' | 'file';
  readonly file: {
    readonly path: string;
    readonly max_size_mb: number;
    readonly max_files: number;
    readonly rotate: boolean;
  };
  readonly include_trace_id: boolean;
  readonly include_user_id: boolean;
  readonly include_metadata: boolean;
}

export interface MetricsConfig {
  readonly enabled: boolean;
  readonly prometheus: {
    readonly enabled: boolean;
    readonly port: number;
    readonly path: string;
  };
  readonly opentelemetry: {
    readonly enabled: boolean;
    readonly endpoint: string;
    readonly service_name: string;
  };
  readonly statsd: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly prefix: string;
  };
}

export interface TracingConfig {
  readonly enabled: boolean;
  readonly opentelemetry: {
    readonly enabled: boolean;
    readonly endpoint: string;
    readonly service_name: string;
    readonly sample_rate: number;
  };
  readonly jaeger: {
    readonly enabled: boolean;
    readonly agent_host: string;
    readonly agent_port: number;
  };
}

export interface AuditConfig {
  readonly enabled: boolean;
  readonly log_all_decisions: boolean;
  readonly log_denied_only: boolean;
  readonly output: 'governance' | 'file' | 'stdout';
  readonly file: {
    readonly path: string;
    readonly max_size_mb: number;
    readonly max_files: number;
  };
  /** Ours: records held in memory while the sink is slow; beyond, records are dropped and counted. */
  readonly buffer_size: number;
}

export interface FeaturesConfig {
  readonly experimental_wasm: boolean;
  readonly experimental_distributed_tracing: boolean;
  readonly zero_copy_serialization: boolean;
  readonly adaptive_caching: boolean;
}

export interface DebugConfig {
  readonly enabled: boolean;
  readonly cpu_profile: boolean;
  readonly cpu_profile_path: string;
  readonly memory_profile: boolean;
  readonly memory_profile_path: string;
  readonly pprof_enabled: boolean;
  readonly pprof_port: number;
}

export interface LimitsConfig {
  /** memory: per process; redis: shared by replicas (and by the daemon's worker processes). */
  readonly store: 'memory' | 'redis';
  readonly redis_url: string;
  readonly key_prefix: string;
  readonly fail_mode: 'open' | 'closed';
  readonly command_timeout_ms: number;
}

export interface PricingConfig {
  /** A pricing JSON file applied over the shipped table (docs/functions.md). Empty: none. */
  readonly file: string;
}
