// The same policy conditions evaluated by @bufbuild/cel (cel-es), Buf's CEL
// interpreter for JavaScript, as the reference point for our compiler. It is
// a development dependency: when it is not installed the comparison is skipped.

import type { CompiledPolicySet } from '../engine/policy-set.js';

type Planned = (bindings: Record<string, unknown>) => unknown;

interface RefPolicy {
  readonly failOpen: boolean;
  readonly target?: Planned;
  readonly lets: readonly { name: string; run: Planned }[];
  readonly rules: readonly { id: string; when?: Planned; unless?: Planned }[];
  readonly name: string;
}

export interface Reference {
  /** Evaluates every policy's conditions; returns the matched rules as policy/rule. */
  evaluate(ctx: Record<string, unknown>): string[];
  readonly version: string;
}

/** Loads cel-es and plans every expression of the set; undefined when the package is absent. */
export async function loadReference(set: CompiledPolicySet): Promise<Reference | undefined> {
  let cel: typeof import('@bufbuild/cel');
  let ext: typeof import('@bufbuild/cel/ext');
  let version = 'unknown';
  try {
    cel = await import('@bufbuild/cel');
    ext = await import('@bufbuild/cel/ext');
    // The package's exports map hides package.json; find it next to the resolved entry point.
    const { readFile } = await import('node:fs/promises');
    const entry = new URL(import.meta.resolve('@bufbuild/cel'));
    for (let dir = new URL('./', entry); dir.pathname !== '/'; dir = new URL('../', dir)) {
      try {
        const pkg = JSON.parse(await readFile(new URL('package.json', dir), 'utf8')) as { name?: string; version: string };
        if (pkg.name === '@bufbuild/cel') {
          version = pkg.version;
          break;
        }
      } catch {
        // keep walking up
      }
    }
  } catch {
    return undefined;
  }
  const env = cel.celEnv({ funcs: [...ext.strings] });
  const planOne = (text: string): Planned => {
    const p = cel.plan(env, cel.parse(text)) as (b: Record<string, unknown>) => unknown;
    return (b) => p(b);
  };
  const policies: RefPolicy[] = set.policies.map((p) => ({
    name: p.name,
    failOpen: p.failOpen,
    target: p.target ? planOne(p.target.text.text) : undefined,
    lets: p.lets.map((l) => ({ name: l.name, run: planOne(l.expr.text.text) })),
    rules: p.rules.map((r) => ({ id: r.id, when: r.when ? planOne(r.when.text.text) : undefined, unless: r.unless ? planOne(r.unless.text.text) : undefined })),
  }));
  const truth = (f: Planned | undefined, b: Record<string, unknown>): boolean | 'error' => {
    if (!f) return true;
    const v = f(b);
    return v === true ? true : v === false ? false : 'error';
  };
  return {
    version,
    evaluate(ctx) {
      const out: string[] = [];
      for (const p of policies) {
        const b: Record<string, unknown> = { ...ctx };
        for (const l of p.lets) b[l.name] = l.run(b);
        const t = truth(p.target, b);
        if (t === false || (t === 'error' && p.failOpen)) continue;
        for (const r of p.rules) {
          const w = truth(r.when, b);
          if (w === false) continue;
          const u = r.unless ? truth(r.unless, b) : false;
          if (u === true) continue;
          if ((w === 'error' || u === 'error') && p.failOpen) continue;
          out.push(`${p.name}/${r.id}`);
        }
      }
      return out;
    },
  };
}
