// `policy-engine eval --policies PATH --input context.json [--trace] [--explain]`.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyEngine, PolicyLoadError } from '../engine/engine.js';
import { readPricingOption } from './pricing-option.js';
import { explainDecision } from '../engine/explain.js';
import { parseTimestamp } from '../cel/runtime/time.js';
import { UsageError, formatForCli, toJsonText } from './output.js';

export interface EvalOptions {
  readonly policies: string[];
  readonly input: string;
  readonly trace?: boolean;
  readonly explain?: boolean;
  readonly now?: string;
  /** A pricing JSON file applied over the shipped table. */
  readonly pricing?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The contexts to evaluate: one file, stdin (`-`), or every .json file of a directory. */
async function readInputs(input: string): Promise<{ name: string; context: Record<string, unknown> }[]> {
  const parse = (text: string, name: string): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${name}: not valid JSON: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${name}: the context must be a JSON object such as {"request": {...}, "user": {...}}`);
    return v as Record<string, unknown>;
  };
  if (input === '-') return [{ name: '<stdin>', context: parse(await readStdin(), '<stdin>') }];
  let st;
  try {
    st = await stat(input);
  } catch {
    throw new UsageError(`--input ${input}: no such file or directory`);
  }
  if (st.isDirectory()) {
    const files = (await readdir(input)).filter((f) => f.endsWith('.json')).sort();
    if (files.length === 0) throw new UsageError(`--input ${input}: the directory has no .json files`);
    return Promise.all(files.map(async (f) => ({ name: join(input, f), context: parse(await readFile(join(input, f), 'utf8'), join(input, f)) })));
  }
  return [{ name: input, context: parse(await readFile(input, 'utf8'), input) }];
}

export async function evalCommand(opts: EvalOptions): Promise<number> {
  if (!opts.policies.length) throw new UsageError('--policies PATH is required (a policy file or directory)');
  // A bad --now used to surface as a RangeError stack trace from evaluate() (exit 1); it is bad usage.
  if (opts.now !== undefined) {
    try {
      parseTimestamp(opts.now);
    } catch (e) {
      throw new UsageError(`--now ${opts.now}: ${(e as { message?: string }).message ?? String(e)}`);
    }
  }
  const builder = PolicyEngine.builder().withCacheCapacity(0);
  if (opts.pricing !== undefined) builder.withPricing(await readPricingOption(opts.pricing));
  for (const p of opts.policies) builder.withPolicyDir(p);
  let engine: PolicyEngine;
  try {
    engine = await builder.build();
  } catch (e) {
    if (!(e instanceof PolicyLoadError)) throw e;
    for (const d of e.diagnostics) console.error(formatForCli(d) + '\n');
    return 1;
  }
  const inputs = await readInputs(opts.input);
  const results = [];
  for (const { name, context } of inputs) {
    const decision = await engine.evaluate(context, { trace: opts.trace, now: opts.now });
    results.push({ input: name, decision });
  }
  if (opts.explain) {
    console.log(results.map((r) => (inputs.length > 1 ? `== ${r.input}\n` : '') + explainDecision(r.decision)).join('\n\n'));
  } else {
    console.log(toJsonText(inputs.length === 1 ? results[0]!.decision : results));
  }
  return 0;
}
