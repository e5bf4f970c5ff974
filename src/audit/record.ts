// One audit record per decision: who asked for which model, what was decided,
// by which rules, under which policy revision.
//
// The request's content (prompt, messages, completion) is deliberately left
// out: it is where personal data and secrets live, audit logs are kept long
// and read widely, and the decision plus the matched rules already say why.
// Identifiers are kept (user id, model, trace id) because an audit trail must
// say who did what; the rule reasons are the policy author's templates and
// may quote context fields, which the author controls.

import type { Decision } from '../engine/decision.js';
import type { DecisionKind } from '../policy/types.js';

export interface AuditDecisionRecord {
  readonly type: 'decision';
  readonly decision_id: string;
  /** When the record was made (ISO 8601, UTC). */
  readonly timestamp: string;
  readonly decision: DecisionKind;
  readonly allowed: boolean;
  readonly reason: string;
  readonly matched: readonly { readonly policy: string; readonly rule: string; readonly decision: DecisionKind; readonly mode: 'enforce' | 'shadow' }[];
  readonly obligations: {
    readonly modifications: number;
    readonly suggestions: number;
    readonly max_tokens?: number;
    readonly retry_after_ms?: number;
  };
  readonly revision: string;
  readonly evaluation_time_us: number;
  readonly cached: boolean;
  readonly dry_run?: boolean;
  readonly transport?: string;
  readonly trace_id?: string;
  readonly user_id?: string;
  readonly model?: string;
}

/**
 * Written in place of the records lost when the buffer was full or the sink
 * failed, so that a gap in the trail is visible in the trail itself.
 */
export interface AuditDroppedRecord {
  readonly type: 'dropped';
  readonly timestamp: string;
  /** Records lost since the previous `dropped` record. */
  readonly dropped: number;
}

export type AuditRecord = AuditDecisionRecord | AuditDroppedRecord;

/** What the server knows about the request besides the decision. */
export interface AuditContext {
  /** The evaluated context: only user.id and request.model are read from it. */
  readonly context?: unknown;
  readonly traceId?: string;
  readonly transport?: string;
  readonly dryRun?: boolean;
}

/** The fields of the request an audit record keeps, taken at once so the context (and its prompt) is not held in the buffer. */
export interface AuditSubject {
  readonly transport?: string;
  readonly trace_id?: string;
  readonly user_id?: string;
  readonly model?: string;
  readonly dry_run?: boolean;
}

export function auditSubject(info: AuditContext): AuditSubject {
  const ctx = asRecord(info.context);
  const userId = asRecord(ctx?.user)?.id;
  const model = asRecord(ctx?.request)?.model;
  return {
    ...(info.dryRun && { dry_run: true }),
    ...(info.transport !== undefined && { transport: info.transport }),
    ...(info.traceId && { trace_id: info.traceId }),
    ...((typeof userId === 'string' || typeof userId === 'number') && { user_id: String(userId) }),
    ...(typeof model === 'string' && { model }),
  };
}

export function auditRecord(d: Decision, subject: AuditSubject, time: number = Date.now()): AuditDecisionRecord {
  const o = d.obligations;
  return {
    type: 'decision',
    decision_id: d.decision_id,
    timestamp: new Date(time).toISOString(),
    decision: d.decision,
    allowed: d.allowed,
    reason: d.reason,
    matched: d.matched.map((m) => ({ policy: m.policy, rule: m.rule, decision: m.decision, mode: m.mode })),
    obligations: {
      modifications: o.modifications.length,
      suggestions: o.suggestions.length,
      ...(o.max_tokens !== undefined && { max_tokens: o.max_tokens }),
      ...(o.retry_after_ms !== undefined && { retry_after_ms: o.retry_after_ms }),
    },
    revision: d.revision,
    evaluation_time_us: d.evaluation_time_us,
    cached: d.cached,
    ...subject,
  };
}

/** Denied only means the request did not go through: deny and throttle. */
export function isDenied(d: DecisionKind): boolean {
  return d === 'deny' || d === 'throttle';
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
