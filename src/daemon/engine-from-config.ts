// The PolicyEngine a daemon process runs, as its configuration describes it:
// the local policy directory, the decision and compilation caches, where
// limits and budgets keep their counts, and the prices.

import { PolicyEngine } from '../engine/engine.js';
import type { DaemonConfig } from '../config/types.js';
import { defaultPricing } from '../functions/pricing.js';
import { readFileSync } from 'node:fs';
import { RedisLimitStore } from '../limits/redis-store.js';
import type { LimitStore } from '../limits/types.js';

/** The limit store of this process: Redis when configured, else the one `local` gives (memory, or the primary's over IPC). */
export function limitStoreFor(config: DaemonConfig, local: () => LimitStore | undefined): LimitStore | undefined {
  if (config.limits.store === 'redis') {
    return new RedisLimitStore({ url: config.limits.redis_url, keyPrefix: config.limits.key_prefix, commandTimeoutMs: config.limits.command_timeout_ms });
  }
  return local();
}

/**
 * A builder for the configured engine (build() it to load the policies).
 * `store` undefined: the engine's default in-memory store.
 */
export function engineBuilder(config: DaemonConfig, store: LimitStore | undefined) {
  const c = config.cache;
  const b = PolicyEngine.builder()
    .withPolicyDir(config.registry.local_policy_dir)
    .withDecisionCache({ enabled: c.decision_cache.enabled, capacity: c.decision_cache.enabled ? c.decision_cache.capacity : 0, ttlSeconds: c.decision_cache.ttl_seconds, evictionPolicy: c.decision_cache.eviction_policy })
    .withCompilationCache({ enabled: c.compilation_cache.enabled, capacity: c.compilation_cache.capacity });
  if (store) b.withLimitStore(store, { failMode: config.limits.fail_mode });
  if (config.pricing.file) b.withPricing(pricingFrom(config.pricing.file));
  return b;
}

/** A pricing JSON file applied over the shipped table (as `--pricing` does). */
function pricingFrom(file: string) {
  const doc: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return defaultPricing().extend(doc, file);
}
