// The public API of llm-policy-engine. Everything a user imports is named here.

export { PolicyEngine, PolicyEngineBuilder, PolicyLoadError } from './engine/engine.js';
export type {
  CompilationCacheConfig,
  DecisionCacheConfig,
  EngineStats,
  EvaluateOptions,
  LimitOptions,
  PolicySummary,
  ReloadResult,
  Usage,
  UsageResult,
} from './engine/engine.js';
export { MemoryLimitStore } from './limits/memory-store.js';
export { RedisLimitStore, redisLimitStoreClientOptions } from './limits/redis-store.js';
export type { RedisLimitStoreOptions, RedisLimitStoreStatus } from './limits/redis-store.js';
export type { Check, CheckOutcome, LimitStore, ReservationRef, SettleResult, StoreResult } from './limits/types.js';
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

// The LLM built-ins (docs/functions.md): prices, token counts and text scanners, for
// applications that want the same answers outside a policy, and the CEL declarations.
export {
  PricingError,
  PricingTable,
  cheaperModels,
  defaultPricing,
  loadPricingFile,
  parsePricing,
  priceOf,
} from './functions/pricing.js';
export type { CheaperOptions, ModelPrice, Pricing, PricingDocument } from './functions/pricing.js';
export { countChatTokens, countTokens, encodingForModel, preloadEncoding } from './functions/tokens.js';
export type { EncodingName, TokenCount } from './functions/tokens.js';
export { PII_KINDS, findPii } from './functions/pii.js';
export type { PiiKind } from './functions/pii.js';
export { SECRET_KINDS, findSecrets } from './functions/secrets.js';
export type { SecretKind } from './functions/secrets.js';
export { INJECTION_WEIGHTS, analyzeInjection } from './functions/injection.js';
export type { InjectionResult, InjectionSignal } from './functions/injection.js';
export type { Finding } from './functions/text-scan.js';
export { DEFAULT_MAX_SCAN_LENGTH } from './functions/common.js';
export type { LlmFunctionOptions } from './functions/index.js';
export { llmFunctions, policyFunctions } from './functions/index.js';

// The CEL layer, for embedding expressions outside policies and for custom functions.
export { CelEnv, Program } from './cel/env.js';
export type { EnvOptions } from './cel/env.js';
export { CelError, CelCompileError } from './cel/errors.js';
export { globalOverload, memberOverload } from './cel/library/overload.js';
export type { FunctionDecl, Overload } from './cel/library/overload.js';
export { T as CelTypes } from './cel/types.js';
export type { Type as CelType } from './cel/types.js';
export { CelUint, CelTimestamp, CelDuration, CelMap, CelOptional } from './cel/values.js';
