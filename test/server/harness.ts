// Starts the real servers on 127.0.0.1 with ephemeral ports over an engine
// built from TEST_POLICIES, and records what the service's hooks saw.

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import type { ServerConfig } from '../../src/config/types.js';
import type { Decision } from '../../src/engine/decision.js';
import { PolicyEngine } from '../../src/engine/engine.js';
import type { ServiceError } from '../../src/server/errors.js';
import { type RunningServers, startServers } from '../../src/server/index.js';
import { type DecisionInfo, type ErrorInfo, PolicyService } from '../../src/server/service.js';

export const TEST_POLICIES = `
apiVersion: policy.llm/v1
kind: Policy
metadata: { name: models, namespace: acme }
spec:
  priority: 50
  rules:
    - id: free-tier-gpt4
      when: "request.model == 'gpt-4' && user.tier == 'free'"
      decision: deny
      reason: "Model \${request.model} is not available on the free tier"
      suggest: { model: gpt-4o-mini }
    - id: dev-small-models
      when: "environment == 'development'"
      decision: modify
      reason: Development uses small models
      modify:
        - { set: request.model, value: gpt-4o-mini }
        - { set: request.options, value: { stream: false, tags: [dev, 1, null] } }
        - { clamp: request.max_tokens, max: 512 }
        - { remove: request.tools }
---
apiVersion: policy.llm/v1
kind: Policy
metadata: { name: budget, namespace: billing }
spec:
  rules:
    - id: daily-dollars
      when: "has(request.cost)"
      budget: { key: user.id, limit: 1, period: day, amount: request.cost }
      decision: deny
      reason: Daily budget reached
---
apiVersion: policy.llm/v1
kind: Policy
metadata: { name: audit, namespace: acme }
spec:
  rules:
    - id: long-prompts
      mode: shadow
      when: "size(request.?prompt.orValue('')) > 20"
      decision: warn
      reason: Long prompt
---
apiVersion: policy.llm/v1
kind: Policy
metadata: { name: audit, namespace: other }
spec:
  rules:
    - id: nothing
      when: "false"
      decision: warn
`;

export function buildEngine(text = TEST_POLICIES): Promise<PolicyEngine> {
  return PolicyEngine.builder().withPolicyText(text, 'policies.yaml').withCacheCapacity(0).build();
}

export type ServerOverrides = {
  readonly listen_address?: string;
  readonly grpc?: Partial<ServerConfig['grpc']>;
  readonly http?: Partial<ServerConfig['http']>;
  readonly tls?: Partial<ServerConfig['tls']>;
  readonly limits?: Partial<ServerConfig['limits']>;
};

/** The defaults, on 127.0.0.1 with ephemeral ports and a small batch limit. */
export function serverConfig(o: ServerOverrides = {}): ServerConfig {
  const d = DEFAULT_CONFIG.server;
  return {
    listen_address: o.listen_address ?? '127.0.0.1:0',
    grpc: { ...d.grpc, ...o.grpc },
    http: { ...d.http, listen_address: '127.0.0.1:0', ...o.http },
    tls: { ...d.tls, ...o.tls },
    limits: { ...d.limits, max_batch_size: 5, ...o.limits },
  };
}

export interface Harness {
  readonly servers: RunningServers;
  readonly service: PolicyService;
  /** The engine the service uses (set it to undefined to make the service unready). */
  engine: PolicyEngine | undefined;
  readonly httpBase: string;
  readonly grpcAddress: string;
  readonly decisions: { decision: Decision; info: DecisionInfo }[];
  readonly errors: { error: ServiceError; info: ErrorInfo }[];
  close(graceMs?: number): Promise<void>;
}

export interface HarnessOptions {
  readonly config?: ServerOverrides;
  /** null: start with no engine (not ready). */
  readonly engine?: PolicyEngine | null;
  readonly serving?: boolean;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const decisions: Harness['decisions'] = [];
  const errors: Harness['errors'] = [];
  const config = serverConfig(opts.config);
  const engine = opts.engine === null ? undefined : (opts.engine ?? (await buildEngine()));
  const h = { engine } as Harness;
  const service = new PolicyService({
    engine: () => h.engine,
    limits: config.limits,
    hooks: {
      onDecision: (decision, info) => decisions.push({ decision, info }),
      onError: (error, info) => errors.push({ error, info }),
    },
  });
  const servers = await startServers({ server: config, service });
  if (opts.serving !== false) servers.setServing(true);
  const scheme = config.tls.enabled ? 'https' : 'http';
  return Object.assign(h, {
    servers,
    service,
    httpBase: `${scheme}://127.0.0.1:${servers.httpPort}`,
    grpcAddress: `127.0.0.1:${servers.grpcPort}`,
    decisions,
    errors,
    close: (graceMs = 1000) => servers.close({ graceMs }),
  });
}
