// The decision returned for every evaluation. Field names are snake_case so
// the library, REST and gRPC all carry one shape.

import type { DecisionKind, Severity, SourcePos } from '../policy/types.js';

export interface MatchedRule {
  readonly policy: string;
  readonly namespace: string;
  readonly rule: string;
  readonly decision: DecisionKind;
  readonly reason: string;
  readonly severity: Severity;
  /** `shadow` rules are reported, never enforced. */
  readonly mode: 'enforce' | 'shadow';
  /** Set when the rule counts as matched only because its condition failed (fail closed). */
  readonly error?: string;
}

export type Modification =
  | { readonly op: 'set'; readonly path: string; readonly value: unknown; readonly policy: string; readonly rule: string }
  | { readonly op: 'clamp'; readonly path: string; readonly max?: number; readonly min?: number; readonly policy: string; readonly rule: string }
  | { readonly op: 'remove'; readonly path: string; readonly policy: string; readonly rule: string };

export interface Suggestion {
  readonly policy: string;
  readonly rule: string;
  /** e.g. { model: 'gpt-4o-mini' } */
  readonly values: Readonly<Record<string, string>>;
}

export interface Obligations {
  /** Changes the caller must apply to the request (final decision `modify` only). */
  readonly modifications: readonly Modification[];
  readonly suggestions: readonly Suggestion[];
  /** The lowest clamp of request.max_tokens among the modifications. */
  readonly max_tokens?: number;
  /** For `throttle`: how long to wait before retrying. */
  readonly retry_after_ms?: number;
}

export interface RuleError {
  readonly policy: string;
  readonly rule?: string;
  /** Which part failed: target, let:<name>, when, unless, reason, suggest.<key>, modify[i]. */
  readonly part: string;
  readonly message: string;
  readonly pos?: SourcePos;
  /** What the failure did: the rule matched (fail closed), did not (fail open), or only a message/obligation was lost. */
  readonly effect: 'matched' | 'not_matched' | 'policy_applied' | 'policy_skipped' | 'none';
}

export type TraceResult = 'matched' | 'not_matched' | 'error' | 'skipped';

export interface TraceCondition {
  readonly part: 'target' | 'when' | 'unless';
  readonly expression: string;
  /** The condition's value in CEL literal syntax, or `<error: ...>`. */
  readonly value: string;
  /** Values of the context fields, bindings and calls the condition read, in source order. */
  readonly inputs: readonly { readonly expression: string; readonly value: string }[];
  /** Caveats about the values: token counts that are estimates, scans cut at the scan cap. */
  readonly notes?: readonly string[];
}

export interface TraceEntry {
  readonly policy: string;
  readonly rule?: string;
  readonly result: TraceResult;
  readonly mode?: 'enforce' | 'shadow';
  /** One sentence: why this rule matched, did not, errored, or was skipped. */
  readonly why: string;
  readonly conditions: readonly TraceCondition[];
}

export interface Decision {
  readonly decision: DecisionKind;
  /** True for allow, warn and modify: the request may proceed (modified, for modify). */
  readonly allowed: boolean;
  readonly reason: string;
  /** Every matched rule (enforced and shadow), most important policy first. */
  readonly matched: readonly MatchedRule[];
  readonly obligations: Obligations;
  readonly errors: readonly RuleError[];
  /** Context schema violations (schema_violation: warn). */
  readonly warnings: readonly string[];
  /** Identifies the compiled policy set that decided. */
  readonly revision: string;
  readonly cached: boolean;
  readonly evaluation_time_us: number;
  readonly decision_id: string;
  readonly trace?: readonly TraceEntry[];
}

export function isAllowed(d: DecisionKind): boolean {
  return d === 'allow' || d === 'warn' || d === 'modify';
}
