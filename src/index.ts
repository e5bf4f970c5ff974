// The public API of llm-policy-engine. Everything a user imports is named here.

export { PolicyEngine, PolicyEngineBuilder, PolicyLoadError } from './engine/engine.js';
export type {
  CompilationCacheConfig,
  DecisionCacheConfig,
  EngineStats,
  EvaluateOptions,
  PolicySummary,
  ReloadResult,
} from './engine/engine.js';
export type {
  Decision,
  MatchedRule,
  Modification,
  Obligations,
  RuleError,
  Suggestion,
  TraceCondition,
  TraceEntry,
} from './engine/decision.js';
export { explainDecision } from './engine/explain.js';
export type { DecisionKind, Diagnostic, Severity, SourcePos } from './policy/types.js';
export { formatDiagnostic } from './policy/diagnostic.js';

// The CEL layer, for embedding expressions outside policies and for custom functions.
export { CelEnv, Program } from './cel/env.js';
export type { EnvOptions } from './cel/env.js';
export { CelError, CelCompileError } from './cel/errors.js';
export { globalOverload, memberOverload } from './cel/library/overload.js';
export type { FunctionDecl, Overload } from './cel/library/overload.js';
export { T as CelTypes } from './cel/types.js';
export type { Type as CelType } from './cel/types.js';
export { CelUint, CelTimestamp, CelDuration, CelMap, CelOptional } from './cel/values.js';
