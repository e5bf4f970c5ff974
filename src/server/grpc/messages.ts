// Between the proto's message objects and the service's plain requests and
// results. The decision's typed fields have the library's names, so most of
// it passes through as is; only JSON-valued fields (set values, the trace)
// need the Struct form.

import type { Decision, Modification } from '../../engine/decision.js';
import type { UsageRequest } from '../requests.js';
import { DecodedEvaluateRequest } from './fast-codec.js';
import { type ProtoStruct, fromStruct, toList, toValue } from './struct.js';

export interface EvaluateRequestMessage {
  context?: ProtoStruct | null;
  trace?: boolean;
  dry_run?: boolean;
  now?: string;
}

export interface UsageRequestMessage {
  decision_id?: string;
  input_tokens?: number;
  output_tokens?: number;
  cost?: number;
}

/** The service's request object. Proto3 cannot tell false from absent, so absent stays absent. */
export function evaluateRequestOf(m: EvaluateRequestMessage | DecodedEvaluateRequest | null | undefined): unknown {
  if (!m) return { context: undefined };
  // Already in this shape: fast-codec.ts decoded the bytes straight into it.
  if (m instanceof DecodedEvaluateRequest) return m.request;
  const req: { context: unknown; trace?: boolean; dry_run?: boolean; now?: string } = { context: m.context ? fromStruct(m.context) : undefined };
  if (m.trace) req.trace = true;
  if (m.dry_run) req.dry_run = true;
  if (m.now) req.now = m.now;
  return req;
}

export function usageRequestOf(m: UsageRequestMessage): UsageRequest {
  // Optional fields arrive with synthetic oneof markers (_cost: 'cost'): copy the fields only.
  const req: { decision_id: string; input_tokens?: number; output_tokens?: number; cost?: number } = { decision_id: m.decision_id ?? '' };
  if (m.input_tokens !== undefined) req.input_tokens = m.input_tokens;
  if (m.output_tokens !== undefined) req.output_tokens = m.output_tokens;
  if (m.cost !== undefined) req.cost = m.cost;
  return req;
}

/** The Decision message. Serialization reads only the fields the proto declares, so extras are harmless. */
export function decisionMessage(d: Decision): object {
  const mods = d.obligations.modifications;
  let hasSet = false;
  for (let i = 0; i < mods.length; i++) if (mods[i]!.op === 'set') hasSet = true;
  // The common case (no set values, no trace) needs no copy at all.
  if (!hasSet && !d.trace) return d;
  return {
    ...d,
    obligations: hasSet ? { ...d.obligations, modifications: mods.map(modificationMessage) } : d.obligations,
    trace: d.trace ? toList(d.trace) : undefined,
  };
}

function modificationMessage(m: Modification): object {
  return m.op === 'set' ? { ...m, value: toValue(m.value) } : m;
}
