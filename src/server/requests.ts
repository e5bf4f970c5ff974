// The API's request shapes and their validation. Both adapters hand the
// service plain objects (REST: the parsed body; gRPC: the decoded message),
// so one set of checks gives one set of messages, each naming the field at
// fault ("items[3].context must be a JSON object, got an array").

import { parseTimestamp } from '../cel/runtime/time.js';
import { ServiceError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export interface EvaluateRequest {
  readonly context: JsonObject;
  readonly trace?: boolean;
  readonly dry_run?: boolean;
  /** RFC 3339 string or epoch milliseconds; absent: the server's clock. */
  readonly now?: string | number;
}

export interface BatchRequest {
  readonly items: readonly EvaluateRequest[];
}

export interface UsageRequest {
  readonly decision_id: string;
  readonly input_tokens?: number;
  readonly output_tokens?: number;
  readonly cost?: number;
}

const EVALUATE_FIELDS = 'context, trace, dry_run, now';
const USAGE_FIELDS = 'decision_id, input_tokens, output_tokens, cost';

function invalid(message: string): ServiceError {
  return new ServiceError('invalid_argument', message);
}

export function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return typeof v;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The body or message as an object, or an error naming `what` (e.g. "the request body"). */
function objectOf(v: unknown, what: string): JsonObject {
  if (!isJsonObject(v)) throw invalid(`${what} must be a JSON object, got ${describeJson(v)}`);
  return v;
}

function optionalBoolean(o: JsonObject, key: string, at: string): void {
  const v = o[key];
  if (v !== undefined && typeof v !== 'boolean') throw invalid(`${at}${key} must be true or false, got ${describeJson(v)}`);
}

/**
 * Checks one evaluation request. `at` prefixes field names ("" or "items[3].").
 * Unknown fields are errors: a misspelt `dryRun` would silently count limits.
 */
export function checkEvaluateRequest(v: unknown, at = ''): EvaluateRequest {
  const o = objectOf(v, at ? at.slice(0, -1) : 'the request body');
  for (const k in o) {
    if (k !== 'context' && k !== 'trace' && k !== 'dry_run' && k !== 'now') {
      throw invalid(`${at}${k} is not a field of an evaluation request (expected ${EVALUATE_FIELDS})`);
    }
  }
  const context = o.context;
  if (context === undefined) throw invalid(`${at}context is required: the evaluation context, e.g. { "request": {...}, "user": {...} }`);
  if (!isJsonObject(context)) throw invalid(`${at}context must be a JSON object, got ${describeJson(context)}`);
  optionalBoolean(o, 'trace', at);
  optionalBoolean(o, 'dry_run', at);
  const now = o.now;
  if (now !== undefined) {
    if (typeof now === 'string') {
      try {
        parseTimestamp(now);
      } catch (e) {
        throw invalid(`${at}now: ${(e as Error).message}`);
      }
    } else if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw invalid(`${at}now must be an RFC 3339 time or epoch milliseconds, got ${describeJson(now)}`);
    }
  }
  return o as unknown as EvaluateRequest;
}

/** Checks a batch; every item is checked before any is evaluated, so a bad item counts nothing. */
export function checkBatchRequest(v: unknown, maxItems: number): BatchRequest {
  const o = objectOf(v, 'the request body');
  for (const k in o) if (k !== 'items') throw invalid(`${k} is not a field of a batch request (expected items)`);
  const items = o.items;
  if (!Array.isArray(items)) throw invalid(`items must be an array of evaluation requests, got ${describeJson(items)}`);
  if (items.length > maxItems) {
    throw new ServiceError('resource_exhausted', `the batch holds ${items.length} items; at most ${maxItems} are allowed (server.limits.max_batch_size)`);
  }
  for (let i = 0; i < items.length; i++) checkEvaluateRequest(items[i], `items[${i}].`);
  return o as unknown as BatchRequest;
}

export function checkUsageRequest(v: unknown): UsageRequest {
  const o = objectOf(v, 'the request body');
  for (const k in o) {
    if (k !== 'decision_id' && k !== 'input_tokens' && k !== 'output_tokens' && k !== 'cost') {
      // A misspelt completion_tokens would settle as zero use: an undercount nobody notices.
      throw invalid(`${k} is not a field of a usage report (expected ${USAGE_FIELDS})`);
    }
  }
  if (o.decision_id === undefined || o.decision_id === '') throw invalid('decision_id is required: the decision_id of the decision whose request this usage belongs to');
  if (typeof o.decision_id !== 'string') throw invalid(`decision_id must be a string, got ${describeJson(o.decision_id)}`);
  for (const k of ['input_tokens', 'output_tokens', 'cost'] as const) {
    const n = o[k];
    if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n) || n < 0)) {
      throw invalid(`${k} must be a non-negative number, got ${typeof n === 'number' ? String(n) : describeJson(n)}`);
    }
  }
  return o as unknown as UsageRequest;
}

/** A policy id: `namespace/name`, or a bare name. */
export function checkPolicyId(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw invalid('id must be a policy id: namespace/name, or a name');
  return id;
}
