// The functions policies get on top of the CEL standard library and extensions:
// time helpers and the LLM built-ins (tokens, cost, pii, redact, secrets,
// injection). docs/functions.md describes them.

import type { FunctionDecl } from '../cel/library/overload.js';
import type { ScanOptions } from './common.js';
import { type Pricing, costFunction, defaultPricing, resolvePricing } from './pricing.js';
import { scanFunctions } from './scan.js';
import { timeFunctions } from './time.js';
import { tokenFunctions } from './tokens.js';

export interface LlmFunctionOptions extends ScanOptions {
  /**
   * The prices cost() uses: a PricingTable (or any Pricing), or overrides in
   * the pricing JSON format applied to the shipped table (see
   * PricingTable.extend). Default: data/pricing.json.
   */
  readonly pricing?: Pricing | object;
}

/** tokens, tokens_estimated, cost, pii, redact, secrets, injection, injection_signals. */
export function llmFunctions(opts: LlmFunctionOptions = {}): FunctionDecl[] {
  return [...tokenFunctions(opts), costFunction(opts.pricing === undefined ? defaultPricing : resolvePricing(opts.pricing)), ...scanFunctions(opts)];
}

/** Every function a policy can call beyond standard CEL. */
export function policyFunctions(opts: LlmFunctionOptions = {}): FunctionDecl[] {
  return [...timeFunctions(), ...llmFunctions(opts)];
}

export { timeFunctions } from './time.js';
export { scanFunctions } from './scan.js';
export {
  DEFAULT_MAX_SCAN_LENGTH,
  MEMO_KEYS,
  estimatedModels,
  truncatedScans,
  type ScanFunction,
  type ScanOptions,
} from './common.js';
export {
  DEFAULT_ENCODING,
  MAX_PRETOKEN,
  countChatTokens,
  countExact,
  countTokens,
  encodingForModel,
  isEncodingLoaded,
  normalizeModel,
  preloadEncoding,
  tokenFunctions,
  type EncodingName,
  type TokenCount,
} from './tokens.js';
export { estimateTokens } from './estimate.js';
export {
  DEFAULT_PRICING_URL,
  PRICING_FORMAT,
  PricingError,
  PricingTable,
  cheaperModels,
  costFunction,
  defaultPricing,
  loadPricingFile,
  parsePricing,
  priceOf,
  resolvePricing,
  withPricing,
  type CheaperOptions,
  type ModelDocument,
  type ModelPrice,
  type PricingDocument,
  type ProviderDocument,
  type ProviderInfo,
} from './pricing.js';
export { PII_KINDS, findPii, ibanValid, ipv6Valid, luhnValid, piiKinds, ssnValid, type PiiKind } from './pii.js';
export { SECRET_KINDS, findSecrets, secretKinds, type SecretKind } from './secrets.js';
export { INJECTION_SIGNALS, INJECTION_WEIGHTS, analyzeInjection, type InjectionResult, type InjectionSignal } from './injection.js';
export type { Finding } from './text-scan.js';
