// JSON Schemas of the REST bodies. They serve twice: as Fastify response
// schemas (fast serialization) and as the components of the OpenAPI
// document. A response schema also filters: fields it does not list are not
// sent, which is why test/server checks that a REST decision equals the
// library's decision field for field.

import { ERROR_CODES } from '../errors.js';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const strings = { type: 'array', items: str } as const;
/** Any JSON value. */
const any = {} as const;

export const DECISION_KINDS = ['allow', 'deny', 'throttle', 'modify', 'warn'] as const;

const matchedRule = {
  type: 'object',
  required: ['policy', 'namespace', 'rule', 'decision', 'reason', 'severity', 'mode'],
  properties: {
    policy: str,
    namespace: str,
    rule: str,
    decision: { type: 'string', enum: DECISION_KINDS },
    reason: str,
    severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
    mode: { type: 'string', enum: ['enforce', 'shadow'] },
    error: str,
  },
} as const;

const modification = {
  type: 'object',
  required: ['op', 'path', 'policy', 'rule'],
  description: "set: `value`; clamp: `max` and/or `min`; remove: the path's field.",
  properties: { op: { type: 'string', enum: ['set', 'clamp', 'remove'] }, path: str, value: any, max: num, min: num, policy: str, rule: str },
} as const;

const suggestion = {
  type: 'object',
  required: ['policy', 'rule', 'values'],
  properties: { policy: str, rule: str, values: { type: 'object', additionalProperties: str } },
} as const;

const ruleError = {
  type: 'object',
  required: ['policy', 'part', 'message', 'effect'],
  properties: {
    policy: str,
    rule: str,
    part: str,
    message: str,
    pos: { type: 'object', properties: { file: str, line: num, column: num } },
    effect: { type: 'string', enum: ['matched', 'not_matched', 'policy_applied', 'policy_skipped', 'none'] },
  },
} as const;

export const decisionSchema = {
  type: 'object',
  required: ['decision', 'allowed', 'reason', 'matched', 'obligations', 'errors', 'warnings', 'revision', 'cached', 'evaluation_time_us', 'decision_id'],
  properties: {
    decision: { type: 'string', enum: DECISION_KINDS },
    allowed: bool,
    reason: str,
    matched: { type: 'array', items: matchedRule },
    obligations: {
      type: 'object',
      required: ['modifications', 'suggestions'],
      properties: {
        modifications: { type: 'array', items: modification },
        suggestions: { type: 'array', items: suggestion },
        max_tokens: num,
        retry_after_ms: num,
      },
    },
    errors: { type: 'array', items: ruleError },
    warnings: strings,
    revision: str,
    cached: bool,
    evaluation_time_us: num,
    decision_id: str,
    // Its shape is documented in docs/library.md and may grow: sent as is.
    trace: { type: 'array', items: any, description: 'Only with "trace": true: one entry per rule.' },
  },
} as const;

export const evaluateRequestSchema = {
  type: 'object',
  required: ['context'],
  additionalProperties: false,
  properties: {
    context: { type: 'object', description: 'The evaluation context: request, user, team, project, environment, metadata, ...' },
    trace: { type: 'boolean', default: false, description: 'Add a trace explaining every rule (slower; bypasses the decision cache).' },
    dry_run: { type: 'boolean', default: false, description: 'Check limits and budgets without counting or reserving anything.' },
    now: { oneOf: [{ type: 'string', format: 'date-time' }, { type: 'number' }], description: 'The time for now() and limits: RFC 3339, or epoch milliseconds.' },
  },
} as const;

export const batchRequestSchema = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: evaluateRequestSchema, description: 'At most server.limits.max_batch_size items.' } },
} as const;

export const batchResponseSchema = {
  type: 'object',
  required: ['decisions'],
  properties: { decisions: { type: 'array', items: decisionSchema } },
} as const;

export const usageRequestSchema = {
  type: 'object',
  required: ['decision_id'],
  additionalProperties: false,
  properties: {
    decision_id: str,
    input_tokens: { type: 'number', minimum: 0 },
    output_tokens: { type: 'number', minimum: 0 },
    cost: { type: 'number', minimum: 0, description: 'Dollars; when absent, dollar budgets price the tokens.' },
  },
} as const;

export const usageResponseSchema = {
  type: 'object',
  required: ['found', 'settled'],
  properties: { found: bool, settled: num },
} as const;

const policyEntry = {
  type: 'object',
  required: ['id', 'name', 'namespace', 'file', 'priority', 'rule_count'],
  properties: { id: str, name: str, namespace: str, file: str, priority: num, rule_count: num },
} as const;

export const policyListSchema = {
  type: 'object',
  required: ['revision', 'policies'],
  properties: { revision: str, policies: { type: 'array', items: policyEntry } },
} as const;

export const policyDetailSchema = {
  type: 'object',
  required: ['revision', 'policy'],
  properties: {
    revision: str,
    policy: {
      type: 'object',
      required: ['id', 'name', 'namespace', 'file', 'priority', 'rules'],
      properties: {
        id: str,
        name: str,
        namespace: str,
        file: str,
        priority: num,
        rules: {
          type: 'array',
          items: { type: 'object', required: ['id', 'decision', 'mode'], properties: { id: str, decision: str, mode: str } },
        },
      },
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'starting', 'stopping'] } },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: str,
      },
    },
  },
} as const;
