// Every key's default. The guide's example file shows a production setup
// (TLS on, a registry, integrations); the defaults instead are what runs on a
// bare machine with nothing else installed: plain TCP, the local policy
// directory, in-memory cache and limits, integrations off, logs and audit to
// stdout. docs/configuration.md lists them.

import type { DaemonConfig } from './types.js';

export const DEFAULT_CONFIG: DaemonConfig = {
  server: {
    listen_address: '0.0.0.0:50051',
    grpc: { max_concurrent_streams: 1000, keepalive_interval_seconds: 30, keepalive_timeout_seconds: 10, max_connection_age_seconds: 3600 },
    http: { enabled: true, listen_address: '0.0.0.0:8080', cors_enabled: true, cors_allowed_origins: ['*'] },
    tls: { enabled: false, cert_file: '/etc/policy-engine/tls/server.crt', key_file: '/etc/policy-engine/tls/server.key', client_auth: false },
    limits: { max_request_size_mb: 10, request_timeout_seconds: 5, max_connections: 10000, max_batch_size: 1000 },
  },
  registry: {
    url: '',
    namespace: 'production',
    sync_interval_seconds: 60,
    initial_sync_timeout_seconds: 300,
    auth: { type: 'token', token_file: '/var/run/secrets/registry-token' },
    fallback_to_local: true,
    local_policy_dir: '/var/lib/policy-engine/policies',
  },
  cache: {
    decision_cache: { enabled: true, capacity: 10000, ttl_seconds: 300, eviction_policy: 'lru' },
    compilation_cache: { enabled: true, capacity: 100 },
    distributed: { enabled: false, redis_url: 'redis://localhost:6379', key_prefix: 'policy-engine:', ttl_seconds: 600 },
  },
  runtime: {
    worker_threads: 1,
    blocking_threads: 4,
    sandbox: { max_memory_mb: 128, max_execution_ms: 100, max_stack_size_mb: 1 },
    evaluation: { parallel_evaluation: true, max_parallel_policies: 10 },
  },
  integrations: {
    llm_shield: { enabled: false, url: 'http://llm-shield:8080', timeout_ms: 500, retry_attempts: 2 },
    llm_costops: { enabled: false, url: 'http://llm-costops:8080', timeout_ms: 500, retry_attempts: 2 },
    llm_governance: { enabled: false, url: 'http://llm-governance:8080', timeout_ms: 1000, async_logging: true },
    llm_edge_agent: { enabled: false, sync_interval_seconds: 300 },
  },
  logging: {
    level: 'info',
    format: 'json',
    output: 'stdout',
    file: { path: '/var/log/policy-engine/engine.log', max_size_mb: 100, max_files: 10, rotate: true },
    include_trace_id: true,
    include_user_id: true,
    include_metadata: true,
  },
  metrics: {
    enabled: true,
    prometheus: { enabled: true, port: 9090, path: '/metrics' },
    opentelemetry: { enabled: false, endpoint: 'http://otel-collector:4317', service_name: 'policy-engine' },
    statsd: { enabled: false, host: 'localhost', port: 8125, prefix: 'policy_engine' },
  },
  tracing: {
    enabled: false,
    opentelemetry: { enabled: false, endpoint: 'http://jaeger:4317', service_name: 'policy-engine', sample_rate: 0.1 },
    jaeger: { enabled: false, agent_host: 'localhost', agent_port: 6831 },
  },
  audit: {
    enabled: true,
    log_all_decisions: true,
    log_denied_only: false,
    output: 'stdout',
    file: { path: '/var/log/policy-engine/audit.log', max_size_mb: 500, max_files: 20 },
    buffer_size: 10000,
  },
  features: { experimental_wasm: false, experimental_distributed_tracing: true, zero_copy_serialization: true, adaptive_caching: true },
  debug: {
    enabled: false,
    cpu_profile: false,
    cpu_profile_path: '/tmp/policy-engine-cpu.prof',
    memory_profile: false,
    memory_profile_path: '/tmp/policy-engine-mem.prof',
    pprof_enabled: false,
    pprof_port: 6060,
  },
  limits: { store: 'memory', redis_url: 'redis://127.0.0.1:6379', key_prefix: 'policy-engine:', fail_mode: 'closed', command_timeout_ms: 100 },
  pricing: { file: '' },
};
