// The shared table: every case runs against REST and gRPC alike (api.test.ts),
// each transport on a server of its own (limits and budgets start at zero).
// A case is a list of steps; a step's request may use earlier answers
// (a usage report needs the decision_id of an evaluation).

import type { ErrorCode } from '../../src/server/errors.js';

export type Op = 'evaluate' | 'evaluateBatch' | 'reportUsage' | 'listPolicies' | 'getPolicy';

export type Expectation =
  | {
      /** toMatchObject on the answer. */
      readonly like?: Record<string, unknown>;
      /** The answer (a decision, or a batch's decisions) equals the library's for the same requests. */
      readonly sameAsLibrary?: boolean;
      readonly error?: undefined;
    }
  | { readonly error: ErrorCode; readonly message: RegExp };

export interface Step {
  readonly op: Op;
  /** The request (REST shape), or a function of the answers of the steps before. */
  readonly req?: Record<string, unknown> | string | ((answers: any[]) => Record<string, unknown>);
  readonly expect: Expectation;
}

export interface Case {
  readonly name: string;
  readonly steps: readonly Step[];
}

const FREE_GPT4 = { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-free', tier: 'free' } };
const PRO = { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-pro', tier: 'pro' } };
const DEV = {
  request: { model: 'gpt-4o', max_tokens: 2000, tools: ['search'], prompt: 'a prompt longer than twenty characters' },
  user: { id: 'u-dev', tier: 'pro' },
  environment: 'development',
};
const spend = (user: string, cost: number) => ({ request: { model: 'gpt-4o', cost }, user: { id: user, tier: 'pro' } });

export const CASES: readonly Case[] = [
  {
    name: 'evaluate: allow',
    steps: [{ op: 'evaluate', req: { context: PRO }, expect: { like: { decision: 'allow', allowed: true, matched: [] }, sameAsLibrary: true } }],
  },
  {
    name: 'evaluate: deny, with a reason and a suggestion',
    steps: [
      {
        op: 'evaluate',
        req: { context: FREE_GPT4 },
        expect: {
          like: {
            decision: 'deny',
            allowed: false,
            reason: 'Model gpt-4 is not available on the free tier',
            obligations: { modifications: [], suggestions: [{ policy: 'models', rule: 'free-tier-gpt4', values: { model: 'gpt-4o-mini' } }] },
          },
          sameAsLibrary: true,
        },
      },
    ],
  },
  {
    name: 'evaluate: modify, with set (JSON values), clamp and remove obligations, and a shadow match',
    steps: [
      {
        op: 'evaluate',
        req: { context: DEV },
        expect: {
          like: {
            decision: 'modify',
            allowed: true,
            obligations: {
              max_tokens: 512,
              modifications: [
                { op: 'set', path: 'request.model', value: 'gpt-4o-mini' },
                { op: 'set', path: 'request.options', value: { stream: false, tags: ['dev', 1, null] } },
                { op: 'clamp', path: 'request.max_tokens', max: 512 },
                { op: 'remove', path: 'request.tools' },
              ],
            },
            matched: [
              { policy: 'models', rule: 'dev-small-models', mode: 'enforce' },
              { policy: 'audit', namespace: 'acme', rule: 'long-prompts', mode: 'shadow' },
            ],
          },
          sameAsLibrary: true,
        },
      },
    ],
  },
  {
    name: 'evaluate: trace explains every rule',
    steps: [{ op: 'evaluate', req: { context: FREE_GPT4, trace: true }, expect: { like: { decision: 'deny' }, sameAsLibrary: true } }],
  },
  {
    name: 'evaluate: now fixes the clock',
    steps: [{ op: 'evaluate', req: { context: PRO, now: '2026-03-02T10:00:00Z' }, expect: { like: { decision: 'allow' }, sameAsLibrary: true } }],
  },
  {
    name: 'evaluate: dry_run checks the budget without counting',
    steps: [
      { op: 'evaluate', req: { context: spend('u-dry', 0.7), dry_run: true }, expect: { like: { decision: 'allow' } } },
      { op: 'evaluate', req: { context: spend('u-dry', 0.7), dry_run: true }, expect: { like: { decision: 'allow' } } },
      { op: 'evaluate', req: { context: spend('u-dry', 0.7) }, expect: { like: { decision: 'allow' } } },
      { op: 'evaluate', req: { context: spend('u-dry', 0.7) }, expect: { like: { decision: 'deny', reason: 'Daily budget reached' } } },
    ],
  },
  {
    name: 'evaluate: no context',
    steps: [{ op: 'evaluate', req: { trace: true }, expect: { error: 'invalid_argument', message: /^context is required/ } }],
  },
  {
    name: 'evaluate: a time that is not RFC 3339',
    steps: [{ op: 'evaluate', req: { context: PRO, now: 'yesterday' }, expect: { error: 'invalid_argument', message: /^now: cannot parse timestamp 'yesterday'/ } }],
  },
  {
    name: 'batch: decisions in the order of the items',
    steps: [
      {
        op: 'evaluateBatch',
        req: { items: [{ context: PRO }, { context: FREE_GPT4 }, { context: DEV, trace: true }] },
        expect: { like: { decisions: [{ decision: 'allow' }, { decision: 'deny' }, { decision: 'modify' }] }, sameAsLibrary: true },
      },
    ],
  },
  {
    name: 'batch: empty',
    steps: [{ op: 'evaluateBatch', req: { items: [] }, expect: { like: { decisions: [] } } }],
  },
  {
    name: 'batch: more items than server.limits.max_batch_size',
    steps: [
      {
        op: 'evaluateBatch',
        req: { items: Array.from({ length: 6 }, () => ({ context: PRO })) },
        expect: { error: 'resource_exhausted', message: /the batch holds 6 items; at most 5 are allowed \(server\.limits\.max_batch_size\)/ },
      },
    ],
  },
  {
    name: 'batch: an invalid item fails the call, and nothing is counted',
    steps: [
      {
        op: 'evaluateBatch',
        req: { items: [{ context: spend('u-batch', 0.9) }, { context: PRO, now: 'soon' }] },
        expect: { error: 'invalid_argument', message: /^items\[1\]\.now: cannot parse timestamp 'soon'/ },
      },
      // Had item 0 been counted, 0.9 + 0.9 would exceed the budget of 1.
      { op: 'evaluate', req: { context: spend('u-batch', 0.9) }, expect: { like: { decision: 'allow' } } },
    ],
  },
  {
    name: 'usage: settling replaces the reservation; a second report finds nothing',
    steps: [
      { op: 'evaluate', req: { context: spend('u-usage', 0.6) }, expect: { like: { decision: 'allow' } } },
      { op: 'reportUsage', req: (a) => ({ decision_id: a[0].decision_id, cost: 0.1 }), expect: { like: { found: true, settled: 1 } } },
      { op: 'reportUsage', req: (a) => ({ decision_id: a[0].decision_id, cost: 0.1 }), expect: { like: { found: false, settled: 0 } } },
      // 0.1 settled + 0.6 fits in 1; it would not have with the 0.6 reservation.
      { op: 'evaluate', req: { context: spend('u-usage', 0.6) }, expect: { like: { decision: 'allow' } } },
    ],
  },
  {
    name: 'usage: an unknown decision is not found',
    steps: [{ op: 'reportUsage', req: { decision_id: 'no-such-decision', input_tokens: 10, output_tokens: 20 }, expect: { like: { found: false, settled: 0 } } }],
  },
  {
    name: 'usage: a negative cost',
    steps: [{ op: 'reportUsage', req: { decision_id: 'd', cost: -1 }, expect: { error: 'invalid_argument', message: /^cost must be a non-negative number, got -1/ } }],
  },
  {
    name: 'usage: no decision_id',
    steps: [{ op: 'reportUsage', req: { cost: 1 }, expect: { error: 'invalid_argument', message: /^decision_id is required/ } }],
  },
  {
    name: 'policies: the list, in evaluation order, with the revision',
    steps: [
      {
        op: 'listPolicies',
        expect: {
          like: {
            policies: [
              { id: 'acme/models', name: 'models', namespace: 'acme', file: 'policies.yaml', priority: 50, rule_count: 2 },
              { id: 'acme/audit', rule_count: 1 },
              { id: 'billing/budget', rule_count: 1 },
              { id: 'other/audit', rule_count: 1 },
            ],
          },
        },
      },
    ],
  },
  {
    name: 'policies: one, by namespace/name',
    steps: [
      {
        op: 'getPolicy',
        req: 'acme/models',
        expect: {
          like: {
            policy: {
              id: 'acme/models',
              name: 'models',
              namespace: 'acme',
              priority: 50,
              rules: [
                { id: 'free-tier-gpt4', decision: 'deny', mode: 'enforce' },
                { id: 'dev-small-models', decision: 'modify', mode: 'enforce' },
              ],
            },
          },
        },
      },
    ],
  },
  {
    name: 'policies: one, by a name only one namespace uses',
    steps: [{ op: 'getPolicy', req: 'budget', expect: { like: { policy: { id: 'billing/budget', rules: [{ id: 'daily-dollars' }] } } } }],
  },
  {
    name: 'policies: a name two namespaces use',
    steps: [{ op: 'getPolicy', req: 'audit', expect: { error: 'invalid_argument', message: /several namespaces \(acme\/audit, other\/audit\): ask for namespace\/name/ } }],
  },
  {
    name: 'policies: not found',
    steps: [{ op: 'getPolicy', req: 'acme/nope', expect: { error: 'not_found', message: /^no loaded policy has the id 'acme\/nope' \(loaded: acme\/models/ } }],
  },
];
