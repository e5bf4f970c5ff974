// Shared helpers for the engine and cache tests: policy documents written as
// plain objects (JSON is YAML, so a list of them is a multi-document YAML
// file), engines built from them, and decisions stripped of the fields that
// differ between two evaluations of the same context.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision } from '../../src/engine/decision.js';
import { PolicyEngine, type PolicyEngineBuilder } from '../../src/engine/engine.js';

export type Obj = Record<string, unknown>;

export function policy(name: string, spec: Obj, metadata: Obj = {}): Obj {
  return { apiVersion: 'policy.llm/v1', kind: 'Policy', metadata: { name, ...metadata }, spec };
}

export function policySet(spec: Obj, name = 'main'): Obj {
  return { apiVersion: 'policy.llm/v1', kind: 'PolicySet', metadata: { name }, spec };
}

/** One YAML file holding every document (each written as JSON, which YAML reads as flow style). */
export function yamlOf(...docs: Obj[]): string {
  return docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';
}

export interface EngineOptions {
  readonly cache?: boolean;
  readonly configure?: (b: PolicyEngineBuilder) => PolicyEngineBuilder;
}

/** An engine over `docs` (one inline file, `policies.yaml`); the decision cache is off unless asked for. */
export function engineOf(docs: Obj[] | string, opts: EngineOptions = {}): Promise<PolicyEngine> {
  let b = PolicyEngine.builder().withPolicyText(typeof docs === 'string' ? docs : yamlOf(...docs), 'policies.yaml');
  if (!opts.cache) b = b.withCacheCapacity(0);
  if (opts.configure) b = opts.configure(b);
  return b.build();
}

/** A decision without the fields that legitimately differ between evaluations. */
export function comparable(d: Decision): Omit<Decision, 'decision_id' | 'cached' | 'evaluation_time_us'> {
  const { decision_id: _id, cached: _c, evaluation_time_us: _t, ...rest } = d;
  return rest;
}

/** `policy/rule` of every matched rule, in order. */
export function matchedIds(d: Decision, mode?: 'enforce' | 'shadow'): string[] {
  return d.matched.filter((m) => !mode || m.mode === mode).map((m) => `${m.policy}/${m.rule}`);
}

/** A fresh temporary directory and a function removing it. */
export function tempDir(prefix = 'pe-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
