// The gRPC evaluation messages' direct reader and writer (fast-codec.ts)
// against the generic path they stand in for (proto-loader and protobufjs,
// then struct.ts): the same requests out of the same bytes, the same bytes
// out of the same decisions, and the same errors for broken messages.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect, isDeepStrictEqual } from 'node:util';
import type { MethodDefinition } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import type { Decision } from '../../src/engine/decision.js';
import { PolicyEngine } from '../../src/engine/engine.js';
import {
  decodeEvaluateBatchRequest,
  decodeEvaluateRequest,
  decodeEvaluateStreamRequest,
  encodeEvaluateBatchResponse,
  encodeEvaluateResponse,
  encodeEvaluateStreamResponse,
} from '../../src/server/grpc/fast-codec.js';
import { decisionMessage, evaluateRequestOf } from '../../src/server/grpc/messages.js';
import { MalformedMessage, SERVICE_NAME, loadProto } from '../../src/server/grpc/proto.js';
import { toStruct } from '../../src/server/grpc/struct.js';
import { TEST_POLICIES, buildEngine } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { packageDefinition, service } = loadProto();
const generic = packageDefinition[SERVICE_NAME] as unknown as Record<string, MethodDefinition<any, any>>;

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'gpt-4o', 'ünïcödé', '日本語のテキスト', '😀 emoji', 'a'.repeat(130), 'x'.repeat(20_000), '0', '12', 'constructor', 'toString', 'with "quotes" and \\ slashes', '\u0000\u0001'];

function randomJson(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 4 || k < 0.45) {
    const p = r();
    if (p < 0.2) return STRINGS[Math.floor(r() * STRINGS.length)];
    if (p < 0.4) return (r() - 0.5) * 10 ** Math.floor(r() * 12);
    if (p < 0.5) return Math.floor(r() * 1000);
    if (p < 0.6) return r() < 0.5;
    if (p < 0.7) return null;
    if (p < 0.75) return -0;
    return `s${Math.floor(r() * 100)}`;
  }
  if (k < 0.7) return Array.from({ length: Math.floor(r() * 5) }, () => randomJson(r, depth + 1));
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const key = r() < 0.2 ? String(Math.floor(r() * 20)) : r() < 0.1 ? STRINGS[Math.floor(r() * STRINGS.length)]! : `k${Math.floor(r() * 30)}`;
    o[key] = randomJson(r, depth + 1);
  }
  return o;
}

/** What the service receives for these bytes through the generic path (or the error the client gets). */
function genericRequest(method: string, bytes: Buffer): unknown {
  try {
    return { ok: normalise(method, generic[method]!.requestDeserialize(bytes)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Through the path the server runs (fast when it can, generic otherwise). */
function servedRequest(method: string, bytes: Buffer): unknown {
  const m = (service as unknown as Record<string, MethodDefinition<any, any>>)[method]!.requestDeserialize(bytes);
  if (m instanceof MalformedMessage) return { error: m.message.replace(/^the message is not a valid llm\.policy\.v1\.\w+: /, '') };
  return { ok: normalise(method, m) };
}

function normalise(method: string, m: any): unknown {
  if (method === 'Evaluate') return evaluateRequestOf(m);
  if (method === 'EvaluateBatch') return (m.items ?? []).map(evaluateRequestOf);
  return { request_id: m.request_id ?? '', request: evaluateRequestOf(m.request) };
}

/** Equal values (node's strict deep equality: prototypes, -0, holes) with the same key order (JSON text). */
function same(a: unknown, b: unknown): void {
  if (!isDeepStrictEqual(a, b)) expect(inspect(a, { depth: 20 })).toBe(inspect(b, { depth: 20 }));
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
}

describe('fast request decoding', () => {
  test('random contexts decode to the generic path\'s requests', () => {
    const r = rng(1);
    for (let i = 0; i < 3000; i++) {
      const context = randomJson(r, 0);
      const ctx = typeof context === 'object' && context !== null && !Array.isArray(context) ? context : { v: context };
      const msg: Record<string, unknown> = { context: toStruct(ctx as Record<string, unknown>) };
      if (r() < 0.3) msg.trace = r() < 0.5;
      if (r() < 0.3) msg.dry_run = r() < 0.5;
      if (r() < 0.2) msg.now = r() < 0.5 ? '' : '2026-01-02T03:04:05Z';
      if (r() < 0.05) delete msg.context;
      const bytes: Buffer = generic.Evaluate!.requestSerialize(msg);
      const fast = decodeEvaluateRequest(bytes);
      expect(fast).toBeDefined();
      same(evaluateRequestOf(fast), normalise('Evaluate', generic.Evaluate!.requestDeserialize(bytes)));
    }
  });

  test('batches and stream messages too', () => {
    const r = rng(2);
    for (let i = 0; i < 500; i++) {
      const items = Array.from({ length: Math.floor(r() * 4) }, () => ({ context: toStruct({ a: randomJson(r, 1), b: randomJson(r, 1) }), trace: r() < 0.3 }));
      const batch: Buffer = generic.EvaluateBatch!.requestSerialize({ items });
      same(normalise('EvaluateBatch', decodeEvaluateBatchRequest(batch)), normalise('EvaluateBatch', generic.EvaluateBatch!.requestDeserialize(batch)));
      const streamMsg: Record<string, unknown> = r() < 0.8 ? { request_id: `r${i}`, request: items[0] } : { request_id: `r${i}` };
      const stream: Buffer = generic.EvaluateStream!.requestSerialize(streamMsg);
      same(normalise('EvaluateStream', decodeEvaluateStreamRequest(stream)), normalise('EvaluateStream', generic.EvaluateStream!.requestDeserialize(stream)));
    }
  });

  test('damaged and unusual messages get the generic path\'s answer (a request, or the same error)', () => {
    const r = rng(3);
    const base: Buffer[] = [];
    for (let i = 0; i < 40; i++) base.push(generic.Evaluate!.requestSerialize({ context: toStruct({ x: randomJson(r, 1), y: randomJson(r, 2) }), trace: true, now: 'n' }));
    let fastTaken = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(base[i % base.length]!);
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * b.length);
        const what = r();
        if (what < 0.6) b[at] = Math.floor(r() * 256);
        else if (what < 0.8) b[at] ^= 1 << Math.floor(r() * 8);
        else b[at] = 0;
      }
      const cut = r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      if (decodeEvaluateRequest(cut) !== undefined) fastTaken++;
      same(servedRequest('Evaluate', cut), genericRequest('Evaluate', cut));
    }
    // Some damaged messages are still valid ones, and the fast path reads those.
    expect(fastTaken).toBeGreaterThan(100);
    // Unknown fields, a repeated context, a map entry without a value, a second kind in a Value, deep nesting, __proto__.
    const entry = (...parts: Buffer[]) => ld(0x0a, ld(0x0a, ...parts)); // EvaluateRequest.context { fields: [entry] }
    const unusual = [
      Buffer.concat([generic.Evaluate!.requestSerialize({ context: toStruct({ a: 1 }) }), Buffer.from([0x28, 0x01])]),
      Buffer.concat([generic.Evaluate!.requestSerialize({ context: toStruct({ a: 1 }) }), generic.Evaluate!.requestSerialize({ context: toStruct({ b: 2 }) })]),
      entry(ld(0x0a, Buffer.from('a'))),
      entry(ld(0x12, Buffer.from([0x20, 0x01]))),
      entry(ld(0x0a, Buffer.from('a')), ld(0x12, ld(0x1a, Buffer.from('x')), Buffer.from([0x20, 0x01]))),
      entry(ld(0x0a, Buffer.from('__proto__')), ld(0x12, Buffer.from([0x20, 0x01]))),
      entry(ld(0x12, Buffer.from([0x20, 0x01])), ld(0x0a, Buffer.from('b'))),
      entry(ld(0x0a, Buffer.from('a')), ld(0x12, Buffer.from([0x08, 0x05]))),
      entry(ld(0x0a, Buffer.from('a')), ld(0x12)),
      ...[20, 29, 30, 31, 45, 49, 50, 51, 60, 120].map(nestedRequest),
    ];
    for (const b of unusual) same(servedRequest('Evaluate', b), genericRequest('Evaluate', b));
  });
});

/** A length-delimited field: tag, length, bytes. */
function ld(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const len: number[] = [];
  let n = body.length;
  while (n > 127) {
    len.push((n & 127) | 128);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

/** An EvaluateRequest whose context nests `depth` structs ({ n: { n: ... true } }), past what protobufjs's encoder allows. */
function nestedRequest(depth: number): Buffer {
  let value: Buffer = Buffer.from([0x20, 0x01]);
  for (let i = 0; i < depth; i++) value = ld(0x2a, ld(0x0a, ld(0x0a, Buffer.from('n')), ld(0x12, value)));
  return ld(0x0a, ld(0x0a, ld(0x0a, Buffer.from('n')), ld(0x12, value)));
}

/** The response through the generic serializer, and through the one the server runs. */
function bothEncodings(method: 'Evaluate' | 'EvaluateBatch' | 'EvaluateStream', value: object): [Buffer, Buffer] {
  const served = (service as unknown as Record<string, MethodDefinition<any, any>>)[method]!.responseSerialize(value);
  return [generic[method]!.responseSerialize(value), served];
}

async function decisions(): Promise<Decision[]> {
  const out: Decision[] = [];
  const engine = await buildEngine(TEST_POLICIES);
  const contexts: Record<string, unknown>[] = [
    { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-free', tier: 'free' } },
    { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-pro', tier: 'pro' } },
    { request: { model: 'gpt-4o', max_tokens: 2000, tools: ['search'], prompt: 'a prompt longer than twenty characters' }, user: { id: 'u-dev', tier: 'pro' }, environment: 'development' },
    { request: { model: 'gpt-4o', cost: 0.5 }, user: { id: 'u-b', tier: 'pro' } },
    { request: { model: 'gpt-4o', cost: 0.9 }, user: { id: 'u-b', tier: 'pro' } },
  ];
  for (const c of contexts) {
    out.push(await engine.evaluate(c));
    out.push(await engine.evaluate(c, { trace: true }));
  }
  const bench = await PolicyEngine.builder().withPolicyDir(join(ROOT, 'bench/policies')).build();
  for (const f of readdirSync(join(ROOT, 'bench/contexts'))) out.push(await bench.evaluate(JSON.parse(readFileSync(join(ROOT, 'bench/contexts', f), 'utf8'))));
  return out;
}

describe('fast response encoding', () => {
  test('the same bytes as protobufjs for the engine\'s decisions', async () => {
    const all = await decisions();
    let fast = 0;
    for (const d of all) {
      const value = { decision: decisionMessage(d) };
      if (encodeEvaluateResponse(value)) fast++;
      const [g, s] = bothEncodings('Evaluate', value);
      expect(s.equals(g)).toBe(true);
    }
    // Traces and `set` values go the generic way; the others do not.
    expect(fast).toBeGreaterThan(all.length / 3);
    const [g, s] = bothEncodings('EvaluateBatch', { decisions: all.map(decisionMessage) });
    expect(s.equals(g)).toBe(true);
    for (const d of all.slice(0, 4)) {
      for (const value of [{ request_id: 'abc', decision: decisionMessage(d) }, { request_id: '', error: { code: 'invalid_argument', message: 'bad' } }]) {
        const [g2, s2] = bothEncodings('EvaluateStream', value);
        expect(s2.equals(g2)).toBe(true);
      }
    }
  });

  test('every field, long and unusual strings', () => {
    const r = rng(4);
    const str = () => STRINGS[Math.floor(r() * STRINGS.length)]!;
    for (let i = 0; i < 2000; i++) {
      const d = {
        decision: 'throttle',
        allowed: r() < 0.5,
        reason: str(),
        matched: Array.from({ length: Math.floor(r() * 3) }, () => ({ policy: str(), namespace: str(), rule: str(), decision: 'deny', reason: str(), severity: 'high', mode: 'enforce', ...(r() < 0.3 ? { error: str() } : {}) })),
        obligations: {
          modifications: Array.from({ length: Math.floor(r() * 3) }, () => ({ op: 'clamp', path: str(), ...(r() < 0.5 ? { max: r() * 1e6 } : {}), ...(r() < 0.5 ? { min: -r() } : {}), policy: str(), rule: str() })),
          suggestions: Array.from({ length: Math.floor(r() * 3) }, () => ({ policy: str(), rule: str(), values: Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, () => [str(), str()])) })),
          ...(r() < 0.5 ? { max_tokens: Math.floor(r() * 9000) } : {}),
          ...(r() < 0.5 ? { retry_after_ms: r() * 1000 } : {}),
        },
        errors: Array.from({ length: Math.floor(r() * 3) }, () => ({ policy: str(), ...(r() < 0.5 ? { rule: str() } : {}), part: 'when', message: str(), ...(r() < 0.7 ? { pos: { file: str(), line: Math.floor(r() * 5000), column: Math.floor(r() * 300) } } : {}), effect: 'matched' })),
        warnings: Array.from({ length: Math.floor(r() * 3) }, str),
        revision: str(),
        cached: r() < 0.5,
        evaluation_time_us: r() * 100,
        decision_id: str(),
      };
      const [g, s] = bothEncodings('Evaluate', { decision: d });
      expect(s.equals(g)).toBe(true);
    }
    // A lone surrogate: protobufjs writes it its own way, so the generic path does.
    const odd = { decision: { decision: 'allow', allowed: true, reason: 'bad \ud800 text', matched: [], obligations: { modifications: [], suggestions: [] }, errors: [], warnings: [], revision: 'r', cached: false, evaluation_time_us: 1, decision_id: 'x' } };
    expect(encodeEvaluateResponse(odd)).toBeUndefined();
    const [g, s] = bothEncodings('Evaluate', odd);
    expect(s.equals(g)).toBe(true);
    expect(encodeEvaluateStreamResponse({ request_id: 'a', error: { code: 'x', message: 'y' } })).toBeUndefined();
    expect(encodeEvaluateBatchResponse({ decisions: [] })!.length).toBe(0);
  });
});
