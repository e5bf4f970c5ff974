// The shared case table (cases.ts) against both adapters, with real clients:
// fetch for REST, a grpc-js client made from the proto for gRPC.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Decision } from '../../src/engine/decision.js';
import type { PolicyEngine } from '../../src/engine/engine.js';
import { CASES, type Step } from './cases.js';
import { type ApiClient, type ApiResult, grpcClient, httpClient } from './clients.js';
import { type Harness, buildEngine, startHarness } from './harness.js';

/** The fields that differ between two evaluations of the same request. */
function comparable(d: Decision): object {
  const { decision_id: _id, evaluation_time_us: _t, ...rest } = d;
  return rest;
}

async function call(c: ApiClient, step: Step, answers: unknown[]): Promise<ApiResult> {
  const req = typeof step.req === 'function' ? step.req(answers) : step.req;
  switch (step.op) {
    case 'evaluate':
      return c.evaluate(req as Record<string, unknown>);
    case 'evaluateBatch':
      return c.evaluateBatch(req as { items: Record<string, unknown>[] });
    case 'reportUsage':
      return c.reportUsage(req as Record<string, unknown>);
    case 'listPolicies':
      return c.listPolicies();
    case 'getPolicy':
      return c.getPolicy(req as string);
    default:
      return step.op satisfies never;
  }
}

/** The library's answer to the same request(s), from an engine of its own over the same policies. */
async function library(engine: PolicyEngine, step: Step): Promise<unknown> {
  const one = (r: any) => engine.evaluate(r.context, { trace: r.trace, dryRun: r.dry_run, now: r.now }).then(comparable);
  const req = step.req as any;
  return step.op === 'evaluateBatch' ? { decisions: await Promise.all(req.items.map(one)) } : one(req);
}

describe.each(['http', 'grpc'] as const)('%s', (transport) => {
  let h: Harness;
  let client: ApiClient;
  let twin: PolicyEngine;

  beforeAll(async () => {
    h = await startHarness();
    client = transport === 'http' ? httpClient(h.httpBase) : grpcClient(h.grpcAddress);
    twin = await buildEngine();
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const answers: unknown[] = [];
    for (const [i, step] of c.steps.entries()) {
      const r = await call(client, step, answers);
      const where = `step ${i} (${step.op})`;
      if (step.expect.error) {
        expect(r, where).toMatchObject({ ok: false, code: step.expect.error });
        if (!r.ok) expect(r.message, where).toMatch(step.expect.message);
        answers.push(undefined);
        continue;
      }
      if (!r.ok) throw new Error(`${where}: ${r.code}: ${r.message}`);
      if (step.expect.like) expect(r.body, where).toMatchObject(step.expect.like);
      if (step.expect.sameAsLibrary) {
        const got = step.op === 'evaluateBatch' ? { decisions: r.body.decisions.map(comparable) } : comparable(r.body);
        expect(got, where).toEqual(await library(twin, step));
      }
      answers.push(r.body);
    }
  });

  test('every decision reaches the onDecision hook with the transport, the time taken and the context', async () => {
    const before = h.decisions.length;
    const r = await client.evaluate({ context: { request: { model: 'm' }, user: { id: 'hook' } }, dry_run: true });
    expect(r.ok).toBe(true);
    const seen = h.decisions.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.decision.decision_id).toBe(r.ok ? r.body.decision_id : '');
    expect(seen[0]!.info).toMatchObject({ transport, context: { request: { model: 'm' }, user: { id: 'hook' } }, dry_run: true });
    expect(seen[0]!.info.seconds).toBeGreaterThan(0);
    expect(seen[0]!.info.seconds).toBeLessThan(1);
  });

  test('errors reach the onError hook with their code and operation', async () => {
    const before = h.errors.length;
    await client.getPolicy('acme/nope');
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info])).toEqual([['not_found', { transport, operation: 'get_policy' }]]);
  });

  test('without an engine: unavailable', async () => {
    const engine = h.engine;
    h.engine = undefined;
    try {
      const r = await client.evaluate({ context: {} });
      expect(r).toMatchObject({ ok: false, code: 'unavailable', message: 'the policy engine is not ready: policies are still loading' });
      expect(await client.listPolicies()).toMatchObject({ ok: false, code: 'unavailable' });
    } finally {
      h.engine = engine;
    }
  });
});
