// A readable account of a decision, for people: what was decided and why,
// what the caller must do, what failed, and (with a trace) every rule.

import type { Decision, Modification } from './decision.js';

export function explainDecision(d: Decision): string {
  const lines: string[] = [];
  lines.push(`${d.decision.toUpperCase()}: ${d.reason}`);
  lines.push(`  allowed: ${d.allowed}   revision: ${d.revision}   ${d.cached ? 'cached   ' : ''}time: ${d.evaluation_time_us} us   id: ${d.decision_id}`);

  const enforced = d.matched.filter((m) => m.mode === 'enforce');
  const shadow = d.matched.filter((m) => m.mode === 'shadow');
  lines.push('');
  if (enforced.length === 0) lines.push('No enforced rule matched.');
  else {
    lines.push('Matched rules, in evaluation order:');
    for (const m of enforced) lines.push(`  ${m.decision.padEnd(8)} ${m.policy}/${m.rule} [${m.severity}]: ${m.reason}${m.error ? `  (condition failed: ${m.error}; fail closed)` : ''}`);
  }
  if (shadow.length) {
    lines.push('Shadow rules that matched (reported, not enforced):');
    for (const m of shadow) lines.push(`  ${m.decision.padEnd(8)} ${m.policy}/${m.rule} [${m.severity}]: ${m.reason}`);
  }

  const o = d.obligations;
  const obligations: string[] = [];
  for (const s of o.suggestions) obligations.push(`  suggest ${Object.entries(s.values).map(([k, v]) => `${k}=${v}`).join(', ')}  (${s.policy}/${s.rule})`);
  for (const m of o.modifications) obligations.push(`  ${describeModification(m)}  (${m.policy}/${m.rule})`);
  if (o.max_tokens !== undefined) obligations.push(`  max_tokens: at most ${o.max_tokens}`);
  if (o.retry_after_ms !== undefined) obligations.push(`  retry after ${o.retry_after_ms} ms`);
  if (obligations.length) {
    lines.push('Obligations:');
    lines.push(...obligations);
  }

  if (d.errors.length) {
    lines.push('Errors:');
    for (const e of d.errors) {
      const where = e.pos ? ` at ${e.pos.file}:${e.pos.line}:${e.pos.column}` : '';
      lines.push(`  ${e.policy}${e.rule ? '/' + e.rule : ''} ${e.part}: ${e.message}${where} -> ${effectText(e.effect, e.part)}`);
    }
  }
  if (d.warnings.length) {
    lines.push('Context schema warnings:');
    for (const w of d.warnings) lines.push(`  ${w}`);
  }

  if (d.trace) {
    lines.push('Trace:');
    for (const t of d.trace) {
      const name = `${t.policy}${t.rule ? '/' + t.rule : ''}`;
      lines.push(`  ${t.result.toUpperCase().padEnd(11)} ${name}: ${t.why}`);
      for (const c of t.conditions) {
        for (const i of c.inputs) lines.push(`      ${i.expression} = ${i.value}`);
        for (const n of c.notes ?? []) lines.push(`      note: ${n}`);
      }
    }
  }
  return lines.join('\n');
}

function describeModification(m: Modification): string {
  switch (m.op) {
    case 'set':
      return `set ${m.path} = ${JSON.stringify(m.value)}`;
    case 'clamp':
      return `clamp ${m.path}${m.min !== undefined ? ` to >= ${m.min}` : ''}${m.max !== undefined ? `${m.min !== undefined ? ' and' : ' to'} <= ${m.max}` : ''}`;
    case 'remove':
      return `remove ${m.path}`;
  }
}

function effectText(effect: string, part: string): string {
  switch (effect) {
    case 'matched':
      return 'the rule counted as matched (fail closed)';
    case 'not_matched':
      return 'the rule counted as not matched (fail_open)';
    case 'policy_applied':
      return 'the policy applied anyway (fail closed)';
    case 'policy_skipped':
      return 'the policy was skipped (fail_open)';
    default:
      // Templates (reason, suggest values) keep their text, with the failed interpolation shown as <error: ...>.
      return part === 'reason' || part.startsWith('suggest.') ? 'the text shows <error: ...> in its place' : 'the obligation was left out';
  }
}
