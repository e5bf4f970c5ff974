// The policy documents as the loader hands them to the engine: validated,
// defaults applied, every expression carrying where it was written.
//
// Document kinds (apiVersion policy.llm/v1):
//   Policy      — rules; the unit of priority, targeting and fail-open/closed.
//   PolicySet   — settings for the whole loaded set (default decision, context schema); at most one.
//   PolicyTest  — test cases run by `policy-engine test`; ignored by the engine.

export const API_VERSION = 'policy.llm/v1';

export type DecisionKind = 'allow' | 'deny' | 'throttle' | 'modify' | 'warn';

/** Most restrictive first: the combined decision is the first of these any enforced rule produced. */
export const DECISION_ORDER: readonly DecisionKind[] = ['deny', 'throttle', 'modify', 'warn', 'allow'];

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** A position in a policy file; line and column are 1-based. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Text of a CEL expression or a `${...}` template as written in a document.
 * `at(offset)` maps an offset inside `text` back to the file, so a compile
 * error in the middle of a one-line `when:` points at the exact column.
 */
export interface SourceText {
  readonly text: string;
  readonly pos: SourcePos;
  at(offset: number): SourcePos;
  /**
   * The whole file line that `at(offset)` is on (without its line break), so a
   * diagnostic built from a CEL issue can show the source with a caret.
   * Optional so that hand-made SourceTexts (tests, generated policies) need not provide it.
   */
  lineText?(offset: number): string;
}

export interface PolicyMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly description?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type ModifyOp =
  /** Set a request field to a literal value. */
  | { readonly op: 'set'; readonly path: string; readonly value: unknown; readonly pos: SourcePos }
  /** Set a request field to the value of a CEL expression. */
  | { readonly op: 'set'; readonly path: string; readonly expr: SourceText; readonly pos: SourcePos }
  /** Clamp a numeric request field to at most `max` (and/or at least `min`); both CEL. */
  | { readonly op: 'clamp'; readonly path: string; readonly max?: SourceText; readonly min?: SourceText; readonly pos: SourcePos }
  /** Remove a request field. */
  | { readonly op: 'remove'; readonly path: string; readonly pos: SourcePos };

export interface RuleDoc {
  readonly id: string;
  readonly pos: SourcePos;
  readonly description?: string;
  /** The rule matches when `when` is true (absent: always) and `unless` is not true. */
  readonly when?: SourceText;
  readonly unless?: SourceText;
  readonly decision: DecisionKind;
  /** A template: literal text with `${cel}` parts. */
  readonly reason?: SourceText;
  readonly severity: Severity;
  /** `shadow`: evaluated and reported, never enforced. */
  readonly mode: 'enforce' | 'shadow';
  /** Suggestions such as `{ model: gpt-4o-mini }`; each value is a template. */
  readonly suggest: Readonly<Record<string, SourceText>>;
  readonly modify: readonly ModifyOp[];
  /** For throttle rules: how long the caller should wait, in milliseconds. */
  readonly retryAfterMs?: number;
  /** A rate limit: the rule matches when this request would exceed it. */
  readonly limit?: LimitDoc;
  /** A spend or token budget: the rule matches when this request would exceed it. */
  readonly budget?: BudgetDoc;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LimitDoc {
  readonly pos: SourcePos;
  readonly key: SourceText;
  /** What one request uses: absent for request counting (`requests`), which counts 1. */
  readonly cost?: SourceText;
  /** The most per window: `requests`, or the `max` expression. */
  readonly max: SourceText;
  readonly windowMs: number;
}

/** A calendar period in a time zone, or a rolling window. */
export type BudgetPeriod = { readonly kind: 'calendar'; readonly unit: 'day' | 'week' | 'month'; readonly timezone: string } | { readonly kind: 'rolling'; readonly ms: number };

export interface BudgetDoc {
  readonly pos: SourcePos;
  readonly key: SourceText;
  readonly limit: SourceText;
  readonly period: BudgetPeriod;
  readonly unit: 'usd' | 'tokens';
  /** The estimated use of one request: an expression, or its parts. */
  readonly amount?: SourceText;
  readonly usage?: { readonly model: SourceText; readonly inputTokens: SourceText; readonly outputTokens: SourceText };
  readonly warnAt?: number;
  readonly onExceed: 'deny' | 'clamp';
  readonly reservationTtlMs: number;
}

export interface LetDoc {
  readonly name: string;
  readonly expr: SourceText;
}

export interface PolicyDoc {
  readonly kind: 'Policy';
  readonly file: string;
  readonly pos: SourcePos;
  readonly metadata: PolicyMetadata;
  /** Higher runs (and is reported) first; ties by name. Default 0. */
  readonly priority: number;
  readonly target?: SourceText;
  /** When a condition errors: true → the rule counts as not matched; false (default) → matched. */
  readonly failOpen: boolean;
  readonly lets: readonly LetDoc[];
  readonly rules: readonly RuleDoc[];
  /** sha256 of the document's canonical JSON: identical documents compile once. */
  readonly hash: string;
}

export type SchemaViolationMode = 'ignore' | 'warn' | 'deny';

export interface PolicySetDoc {
  readonly kind: 'PolicySet';
  readonly file: string;
  readonly pos: SourcePos;
  readonly name: string;
  /** Decision when no enforced rule matches. Default allow. */
  readonly defaultDecision: 'allow' | 'deny';
  /** JSON Schema (the subset in docs/policy-language.md) for the evaluation context. */
  readonly contextSchema?: Readonly<Record<string, unknown>>;
  readonly contextSchemaPos?: SourcePos;
  /** What a context that violates contextSchema does. Default warn. */
  readonly schemaViolation: SchemaViolationMode;
  /** Extra top-level context variables besides the conventional ones (no schema declared). */
  readonly variables: readonly string[];
  /** int op double → double (default true). false gives strict CEL arithmetic. */
  readonly numericPromotion: boolean;
}

export interface TestExpectation {
  readonly decision?: DecisionKind;
  /** Exactly these enforced rules matched, as `policy/rule` (order-insensitive). */
  readonly matched?: readonly string[];
  /** Shadow rules that matched, as `policy/rule`. */
  readonly shadowMatched?: readonly string[];
  readonly reason?: string;
  readonly reasonContains?: string;
  /** A subset the decision's obligations must contain. */
  readonly obligations?: Readonly<Record<string, unknown>>;
  /** Number of rule errors expected (default: not checked). */
  readonly errors?: number;
}

export interface TestCaseDoc {
  readonly name: string;
  readonly pos: SourcePos;
  readonly context: Readonly<Record<string, unknown>>;
  readonly expect: TestExpectation;
  /** RFC 3339 time used as now() for this case; overrides the suite's. */
  readonly now?: string;
  /** Evaluate this many times in a row (limits count each); expectations apply to the last. Default 1. */
  readonly repeat: number;
  /** Usage reported for each evaluation's decision (settles budget reservations). */
  readonly reportUsage?: { readonly input_tokens?: number; readonly output_tokens?: number; readonly cost?: number };
}

export interface PolicyTestDoc {
  readonly kind: 'PolicyTest';
  readonly file: string;
  readonly pos: SourcePos;
  readonly name: string;
  /** Files/directories (relative to this file) holding the policies under test; default: this file's directory. */
  readonly policies: readonly string[];
  readonly now?: string;
  readonly cases: readonly TestCaseDoc[];
}

export type Document = PolicyDoc | PolicySetDoc | PolicyTestDoc;

/** A problem in a policy source, with a stable code; see docs/errors.md. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  /** How to fix it, when there is something specific to say. */
  readonly hint?: string;
  readonly pos: SourcePos;
  /** How many characters from `pos` the problem spans on its line (caret width); default 1. */
  readonly length?: number;
  /** The text of the file line at `pos.line`, for `formatDiagnostic`; absent when the source is not at hand. */
  readonly sourceLine?: string;
  readonly policy?: string;
  readonly rule?: string;
}
