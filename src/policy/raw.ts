// Documents as written (snake_case keys), after they passed schema/policy.schema.json.
// The builders read these; keep them in step with the schema.

export type RawExpression = string | number | boolean;

export interface RawMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly description?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RawModifyOp {
  readonly set?: string;
  readonly value?: unknown;
  readonly expr?: RawExpression;
  readonly clamp?: string;
  readonly max?: RawExpression;
  readonly min?: RawExpression;
  readonly remove?: string;
}

export interface RawRule {
  readonly id: string;
  readonly description?: string;
  readonly when?: RawExpression;
  readonly unless?: RawExpression;
  readonly decision: 'allow' | 'deny' | 'throttle' | 'modify' | 'warn';
  readonly reason?: string;
  readonly severity?: 'info' | 'low' | 'medium' | 'high' | 'critical';
  readonly mode?: 'enforce' | 'shadow';
  readonly suggest?: Record<string, string>;
  readonly modify?: readonly RawModifyOp[];
  readonly retry_after?: string;
  readonly limit?: RawLimit;
  readonly budget?: RawBudget;
  readonly labels?: Record<string, string>;
}

export interface RawLimit {
  readonly key: RawExpression;
  readonly requests?: number;
  readonly cost?: RawExpression;
  readonly max?: RawExpression;
  readonly window: string;
}

export interface RawBudget {
  readonly key: RawExpression;
  readonly limit: RawExpression;
  readonly period: string;
  readonly timezone?: string;
  readonly unit?: 'usd' | 'tokens';
  readonly amount?: RawExpression;
  readonly usage?: { readonly model: RawExpression; readonly input_tokens: RawExpression; readonly output_tokens: RawExpression };
  readonly warn_at?: number;
  readonly on_exceed?: 'deny' | 'clamp';
  readonly reservation_ttl?: string;
}

export interface RawPolicy {
  readonly metadata: RawMetadata;
  readonly spec: {
    readonly priority?: number;
    readonly target?: RawExpression;
    readonly fail_open?: boolean;
    readonly let?: Record<string, RawExpression>;
    readonly rules: readonly RawRule[];
  };
}

export interface RawPolicySet {
  readonly metadata: { readonly name: string };
  readonly spec?: {
    readonly default_decision?: 'allow' | 'deny';
    readonly context_schema?: Record<string, unknown>;
    readonly schema_violation?: 'ignore' | 'warn' | 'deny';
    readonly variables?: readonly string[];
    readonly numeric_promotion?: boolean;
  };
}

export interface RawExpectation {
  readonly decision?: 'allow' | 'deny' | 'throttle' | 'modify' | 'warn';
  readonly matched?: readonly string[];
  readonly shadow_matched?: readonly string[];
  readonly reason?: string;
  readonly reason_contains?: string;
  readonly obligations?: Record<string, unknown>;
  readonly errors?: number;
}

export interface RawPolicyTest {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly policies?: readonly string[];
    readonly now?: string;
    readonly cases: readonly {
      readonly name: string;
      readonly context: Record<string, unknown>;
      readonly now?: string;
      readonly repeat?: number;
      readonly report_usage?: { readonly input_tokens?: number; readonly output_tokens?: number; readonly cost?: number };
      readonly expect: RawExpectation;
    }[];
  };
}
