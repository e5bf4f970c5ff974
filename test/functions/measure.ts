// Per-call cost of the LLM built-ins on a 2,000-character prompt. Not a test:
// run it with `npx tsx test/functions/measure.ts` (docs/functions.md quotes it).
// Every call gets a different prompt (sentences shuffled), so no cache inside
// gpt-tokenizer or V8 makes repeated text look cheaper than it is.

import { CelEnv } from '../../src/cel/env.js';
import { analyzeInjection, countExact, estimateTokens, findPii, findSecrets, policyFunctions, preloadEncoding } from '../../src/functions/index.js';

const SENTENCES = [
  'Hi team, I need help drafting a reply to a customer who wrote in about a delayed refund.',
  'Her name is Maria Gonzalez and she can be reached at maria.gonzalez@example.com or +1 415 555 2671.',
  'She says the refund for order 100234 was promised within five business days, but it has been three weeks.',
  'Our records show the payment was captured on 2026-10-02 and the refund was initiated on 2026-10-09.',
  'The bank reference is 7734-2210 and the amount was 149.90 EUR, charged to a card ending in 4242.',
  'Please keep the tone apologetic but factual, and avoid promising a specific date this time.',
  'Mention that we have escalated the case to our payments provider and will follow up by Friday.',
  'Also offer a 10% discount code for her next purchase, something like SORRY10, valid for 60 days.',
  'If possible, summarise the timeline in three short bullet points at the end of the message.',
  'Our support policy says refunds over 100 EUR need a second approval, which was given on 2026-10-08.',
  'Keep the email under 200 words and sign it as the Customer Care team, not as an individual.',
  'For context, she has been a customer since 2019 and has placed more than thirty orders with us.',
  'Do not include internal ticket numbers like INC-48213 or the name of the payments provider.',
  'Thanks a lot, and let me know if you need the original message she sent or any screenshots.',
];

function prompt(seed: number): string {
  const s = [...SENTENCES];
  let x = seed + 1;
  for (let i = s.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const j = x % (i + 1);
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  let t = s.join(' ');
  while (t.length < 2000) t += ' ' + s[t.length % s.length];
  return t.slice(0, 2000);
}

const N = 2000;
const prompts = Array.from({ length: N }, (_, i) => prompt(i));

function perCall(label: string, fn: (p: string) => unknown): void {
  for (let i = 0; i < 200; i++) fn(prompts[i]!); // warm up
  const t = performance.now();
  for (const p of prompts) fn(p);
  const us = ((performance.now() - t) * 1000) / N;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(7)} µs/call`);
}

console.log(`node ${process.version}, ${prompts[0]!.length}-character prompts, ${N} different prompts per line`);
const t0 = performance.now();
preloadEncoding('o200k_base');
console.log(`loading o200k_base (once, on first use)      ${(performance.now() - t0).toFixed(0).padStart(7)} ms`);

perCall('pii (findPii)', findPii);
perCall('secrets (findSecrets)', findSecrets);
perCall('injection (analyzeInjection)', analyzeInjection);
perCall('tokens, exact o200k_base (countExact)', (p) => countExact(p, 'o200k_base'));
perCall('tokens, estimate (estimateTokens)', estimateTokens);

const env = new CelEnv({ allowUndeclared: true, functions: policyFunctions() });
const programs = {
  'CEL pii(p)': env.program('pii(p)'),
  'CEL redact(p)': env.program('redact(p)'),
  'CEL tokens(p)': env.program('tokens(p)'),
  "CEL tokens(p, 'claude-sonnet-4-6')": env.program("tokens(p, 'claude-sonnet-4-6')"),
  "CEL cost('gpt-4o', n, 500)": env.program("cost('gpt-4o', n, 500)"),
  'CEL 10 × pii(p) in one evaluation': env.program(Array.from({ length: 10 }, () => 'size(pii(p)) >= 0').join(' && ')),
};
for (const [label, p] of Object.entries(programs)) perCall(label, (text) => p.eval({ p: text, n: 1000 }));
