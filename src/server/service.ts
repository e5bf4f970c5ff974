// The API's one service layer: validation, readiness, deadlines, error codes
// and the daemon's hooks. The REST and gRPC adapters only translate to and
// from it, so both behave the same by construction.

import { performance } from 'node:perf_hooks';
import type { ServerConfig } from '../config/types.js';
import type { Decision } from '../engine/decision.js';
import type { EvaluateOptions, PolicyEngine, PolicySummary, UsageResult } from '../engine/engine.js';
import { withDeadline } from './deadline.js';
import { ServiceError, asServiceError } from './errors.js';
import { type EvaluateRequest, type JsonObject, checkBatchRequest, checkEvaluateRequest, checkPolicyId, checkUsageRequest } from './requests.js';

export type Transport = 'http' | 'grpc';
export type Operation = 'evaluate' | 'evaluate_batch' | 'report_usage' | 'list_policies' | 'get_policy';

export interface DecisionInfo {
  readonly transport: Transport;
  /** From the call reaching the service to the decision (for a batch: to this item's decision). */
  readonly seconds: number;
  readonly context: JsonObject;
  readonly dry_run: boolean;
  /** From the request's `traceparent` or `x-request-id` (trace-id.ts), when it had one. */
  readonly trace_id?: string;
}

export interface ErrorInfo {
  readonly transport: Transport;
  readonly operation: Operation | 'transport';
}

/** What the daemon plugs in (metrics, audit, logs); the service knows nothing about them. */
export interface ServiceHooks {
  /** Every decision, batch items and stream messages included. Must not throw (a throw is reported to onError). */
  readonly onDecision?: (decision: Decision, info: DecisionInfo) => void;
  /** Every failed call. `internal` errors carry the original error as `cause`. */
  readonly onError?: (error: ServiceError, info: ErrorInfo) => void;
}

export interface PolicyServiceOptions {
  /** The engine now serving (it may be swapped on reload); undefined: not ready yet. */
  readonly engine: () => PolicyEngine | undefined;
  readonly limits: Pick<ServerConfig['limits'], 'max_batch_size' | 'request_timeout_seconds'>;
  readonly hooks?: ServiceHooks;
}

export interface PolicyListEntry {
  /** namespace/name */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly file: string;
  readonly priority: number;
  readonly rule_count: number;
}

export interface PolicyList {
  readonly revision: string;
  readonly policies: readonly PolicyListEntry[];
}

export interface PolicyDetail {
  readonly revision: string;
  readonly policy: { readonly id: string } & PolicySummary;
}

export interface BatchResult {
  readonly decisions: readonly Decision[];
}

const NO_OPTIONS: EvaluateOptions = Object.freeze({});

export class PolicyService {
  private readonly engine: () => PolicyEngine | undefined;
  private readonly hooks: ServiceHooks;
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  /** Errors already given to onError, so an adapter passing one on does not report it again. */
  private readonly reported = new WeakSet<ServiceError>();

  constructor(options: PolicyServiceOptions) {
    this.engine = options.engine;
    this.hooks = options.hooks ?? {};
    this.timeoutMs = options.limits.request_timeout_seconds * 1000;
    this.maxBatch = options.limits.max_batch_size;
  }

  /** Whether an engine with policies is there to answer. */
  get ready(): boolean {
    return this.engine() !== undefined;
  }

  async evaluate(body: unknown, transport: Transport, traceId?: string): Promise<Decision> {
    const t0 = performance.now();
    try {
      const req = checkEvaluateRequest(body);
      const engine = this.current();
      const decision = await withDeadline(run(engine, req), this.timeoutMs, 'the evaluation');
      this.decided(decision, req, transport, t0, traceId);
      return decision;
    } catch (e) {
      throw this.failed(e, transport, 'evaluate');
    }
  }

  async evaluateBatch(body: unknown, transport: Transport, traceId?: string): Promise<BatchResult> {
    const t0 = performance.now();
    try {
      const { items } = checkBatchRequest(body, this.maxBatch);
      const engine = this.current();
      // Items are independent: with a remote limit store their checks overlap.
      const all = Promise.all(
        items.map((req, i) =>
          run(engine, req, `items[${i}].`).then((d) => {
            this.decided(d, req, transport, t0, traceId);
            return d;
          }),
        ),
      );
      return { decisions: await withDeadline(all, this.timeoutMs, `the batch of ${items.length}`) };
    } catch (e) {
      throw this.failed(e, transport, 'evaluate_batch');
    }
  }

  async reportUsage(body: unknown, transport: Transport): Promise<UsageResult> {
    try {
      const { decision_id, ...usage } = checkUsageRequest(body);
      const engine = this.current();
      const settle = engine.reportUsage(decision_id, usage).catch((e: unknown) => {
        // The engine's own checks of the report (a store that needs tokens, not a cost).
        if (e instanceof Error && e.message.startsWith('reportUsage: ')) throw new ServiceError('invalid_argument', e.message.slice('reportUsage: '.length));
        // The documented failure: the limit store could not be reached. The reservation lapses by itself.
        throw new ServiceError('unavailable', `the limit store could not settle the usage: ${(e as Error).message ?? String(e)}`, { cause: e });
      });
      return await withDeadline(settle, this.timeoutMs, 'the usage report');
    } catch (e) {
      throw this.failed(e, transport, 'report_usage');
    }
  }

  async listPolicies(transport: Transport): Promise<PolicyList> {
    try {
      const engine = this.current();
      const policies = engine.policies().map((p) => ({
        id: `${p.namespace}/${p.name}`,
        name: p.name,
        namespace: p.namespace,
        file: p.file,
        priority: p.priority,
        rule_count: p.rules.length,
      }));
      return { revision: engine.revision, policies };
    } catch (e) {
      throw this.failed(e, transport, 'list_policies');
    }
  }

  /** `id` is `namespace/name`, or a bare name that only one namespace uses. */
  async getPolicy(id: unknown, transport: Transport): Promise<PolicyDetail> {
    try {
      const wanted = checkPolicyId(id);
      const engine = this.current();
      const all = engine.policies();
      const slash = wanted.indexOf('/');
      const found = slash >= 0 ? all.filter((p) => `${p.namespace}/${p.name}` === wanted) : all.filter((p) => p.name === wanted);
      if (found.length > 1) {
        const ids = found.map((p) => `${p.namespace}/${p.name}`).join(', ');
        throw new ServiceError('invalid_argument', `policy name '${wanted}' is used in several namespaces (${ids}): ask for namespace/name`);
      }
      const p = found[0];
      if (!p) {
        const known = all.slice(0, 10).map((x) => `${x.namespace}/${x.name}`);
        throw new ServiceError('not_found', `no loaded policy has the id '${wanted}'${known.length ? ` (loaded: ${known.join(', ')}${all.length > 10 ? ', ...' : ''})` : ''}`);
      }
      return { revision: engine.revision, policy: { id: `${p.namespace}/${p.name}`, ...p } };
    } catch (e) {
      throw this.failed(e, transport, 'get_policy');
    }
  }

  /**
   * For errors an adapter meets before the service is reached (a body too
   * large, malformed JSON, an unknown route): reported like the service's
   * own. Reporting an error twice is harmless: each is reported once.
   */
  transportError(error: ServiceError, transport: Transport): ServiceError {
    if (!this.reported.has(error)) this.report(error, { transport, operation: 'transport' });
    return error;
  }

  private current(): PolicyEngine {
    const engine = this.engine();
    if (!engine) throw new ServiceError('unavailable', 'the policy engine is not ready: policies are still loading');
    return engine;
  }

  private decided(decision: Decision, req: EvaluateRequest, transport: Transport, t0: number, traceId: string | undefined): void {
    const hook = this.hooks.onDecision;
    if (!hook) return;
    try {
      const info: DecisionInfo = { transport, seconds: (performance.now() - t0) / 1000, context: req.context, dry_run: req.dry_run === true };
      hook(decision, traceId === undefined ? info : { ...info, trace_id: traceId });
    } catch (e) {
      // A broken metrics or audit hook must not fail the request it observes.
      this.report(new ServiceError('internal', `the onDecision hook failed: ${(e as Error).message ?? String(e)}`, { cause: e }), { transport, operation: 'evaluate' });
    }
  }

  private failed(e: unknown, transport: Transport, operation: ErrorInfo['operation']): ServiceError {
    const err = asServiceError(e);
    this.report(err, { transport, operation });
    return err;
  }

  private report(err: ServiceError, info: ErrorInfo): void {
    this.reported.add(err);
    try {
      this.hooks.onError?.(err, info);
    } catch {
      // Nowhere left to report a failing error hook; the caller still gets its error.
    }
  }
}

/** One evaluation; the engine's check of `now` (a time outside years 1-9999) becomes invalid_argument. */
async function run(engine: PolicyEngine, req: EvaluateRequest, at = ''): Promise<Decision> {
  const options: EvaluateOptions =
    req.trace === undefined && req.dry_run === undefined && req.now === undefined ? NO_OPTIONS : { trace: req.trace, dryRun: req.dry_run, now: req.now };
  try {
    return await engine.evaluate(req.context, options);
  } catch (e) {
    // Only the engine's argument errors are the caller's fault; anything else is ours (internal).
    if (e instanceof RangeError && e.message.startsWith('options.now')) throw new ServiceError('invalid_argument', `${at}${e.message.slice('options.'.length)}`);
    throw e;
  }
}
