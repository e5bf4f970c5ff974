// The evaluation messages' wire format, read and written directly: the hot
// path of the gRPC API without protobufjs's message objects.
//
// The generic path decodes a request into protobufjs messages, converts them
// to proto-loader's object form (toObject) and then to plain JSON
// (struct.ts): three copies of every context value. Here the bytes become the
// plain JSON at once. Answers are written straight from the Decision instead
// of being copied into messages (fromObject) first.
//
// Both only take what they are sure to handle exactly as the generic path
// does; for anything else (unknown or repeated fields, a map entry without
// its key, deep nesting, a lone surrogate in a string, a trace, a `set`
// value...) they give up, and the generic path runs as before, with its
// results and its error messages. test/server's differential check holds
// the two to the same answers, byte for byte on the way out.

import type { Decision } from '../../engine/decision.js';

/** Thrown (not an Error: no stack to capture) when the generic path must take over. */
const GIVE_UP = Symbol('give up');

/** Below protobufjs's recursion limit (100): deeper messages go to it, and it reports them. */
const MAX_DEPTH = 60;

// ---------------------------------------------------------------- reading

let rbuf: Buffer = Buffer.alloc(0);
let rpos = 0;

function byteAt(end: number): number {
  if (rpos >= end) throw GIVE_UP;
  return rbuf[rpos++]!;
}

/** A varint of at most 5 bytes whose value fits 32 bits (tags, lengths, bools, enums). */
function varint32(end: number): number {
  let b = byteAt(end);
  let v = b & 127;
  if (b < 128) return v;
  b = byteAt(end);
  v |= (b & 127) << 7;
  if (b < 128) return v;
  b = byteAt(end);
  v |= (b & 127) << 14;
  if (b < 128) return v;
  b = byteAt(end);
  v |= (b & 127) << 21;
  if (b < 128) return v >>> 0;
  b = byteAt(end);
  if (b > 15) throw GIVE_UP;
  return (v | (b << 28)) >>> 0;
}

/** The end of a length-delimited field that starts here, inside `end`. */
function delimited(end: number): number {
  const len = varint32(end);
  const stop = rpos + len;
  if (stop > end) throw GIVE_UP;
  return stop;
}

type Utf8Slicer = { utf8Slice?: (start: number, end: number) => string };
/** Node's Buffer#utf8Slice (what toString('utf8') calls, minus its argument checks), as protobufjs reads strings. */
const utf8Slice: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Utf8Slicer).utf8Slice === 'function'
    ? (buf, start, end) => (buf as Utf8Slicer).utf8Slice!(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);

function string(end: number): string {
  const stop = delimited(end);
  const s = utf8Slice(rbuf, rpos, stop);
  rpos = stop;
  return s;
}

/** google.protobuf.Struct as a JSON object. */
function struct(end: number, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  const out: Record<string, unknown> = {};
  while (rpos < end) {
    if (varint32(end) !== 10) throw GIVE_UP; // fields: map<string, Value>
    const entryEnd = delimited(end);
    let key: string | undefined;
    let value: unknown;
    let hasValue = false;
    while (rpos < entryEnd) {
      const tag = varint32(entryEnd);
      if (tag === 10 && key === undefined) key = string(entryEnd);
      else if (tag === 18 && !hasValue) {
        value = jsonValue(delimited(entryEnd), depth + 1);
        hasValue = true;
      } else throw GIVE_UP;
    }
    if (key === undefined || !hasValue || key === '__proto__') throw GIVE_UP;
    out[key] = value;
  }
  return out;
}

/** google.protobuf.Value as JSON; a Value with no kind is null, as in the JSON mapping. */
function jsonValue(end: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  if (rpos === end) return null;
  let v: unknown;
  switch (varint32(end)) {
    case 8: // null_value
      varint32(end);
      v = null;
      break;
    case 17: // number_value
      if (rpos + 8 > end) throw GIVE_UP;
      v = rbuf.readDoubleLE(rpos);
      rpos += 8;
      break;
    case 26: // string_value
      v = string(end);
      break;
    case 32: // bool_value
      v = varint32(end) !== 0;
      break;
    case 42: // struct_value
      v = struct(delimited(end), depth + 1);
      break;
    case 50: {
      // list_value
      const listEnd = delimited(end);
      const list: unknown[] = [];
      while (rpos < listEnd) {
        if (varint32(listEnd) !== 10) throw GIVE_UP;
        list.push(jsonValue(delimited(listEnd), depth + 2));
      }
      v = list;
      break;
    }
    default:
      throw GIVE_UP;
  }
  // A second kind in one Value: the generic path decides which one counts.
  if (rpos !== end) throw GIVE_UP;
  return v;
}

/** The service's request object, as messages.ts's evaluateRequestOf makes it. */
export interface PlainEvaluateRequest {
  context: Record<string, unknown> | undefined;
  trace?: boolean;
  dry_run?: boolean;
  now?: string;
}

/** An EvaluateRequest decoded straight into the service's request (evaluateRequestOf passes it on). */
export class DecodedEvaluateRequest {
  constructor(readonly request: PlainEvaluateRequest) {}
}

function evaluateRequest(end: number, depth: number): DecodedEvaluateRequest {
  let context: Record<string, unknown> | undefined;
  let hasContext = false;
  let trace: boolean | undefined;
  let dryRun: boolean | undefined;
  let now: string | undefined;
  while (rpos < end) {
    const tag = varint32(end);
    if (tag === 10 && !hasContext) {
      context = struct(delimited(end), depth + 1);
      hasContext = true;
    } else if (tag === 16 && trace === undefined) trace = varint32(end) !== 0;
    else if (tag === 24 && dryRun === undefined) dryRun = varint32(end) !== 0;
    else if (tag === 34 && now === undefined) now = string(end);
    else throw GIVE_UP;
  }
  const req: PlainEvaluateRequest = { context };
  if (trace) req.trace = true;
  if (dryRun) req.dry_run = true;
  if (now) req.now = now;
  return new DecodedEvaluateRequest(req);
}

function reading<T>(bytes: Buffer, read: (end: number) => T): T | undefined {
  rbuf = bytes;
  rpos = 0;
  try {
    return read(bytes.length);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  } finally {
    rbuf = EMPTY;
  }
}
const EMPTY = Buffer.alloc(0);

/** llm.policy.v1.EvaluateRequest; undefined: use the generic decoder. */
export function decodeEvaluateRequest(bytes: Buffer): DecodedEvaluateRequest | undefined {
  return reading(bytes, (end) => evaluateRequest(end, 0));
}

/** llm.policy.v1.EvaluateBatchRequest, in proto-loader's object form with decoded items. */
export function decodeEvaluateBatchRequest(bytes: Buffer): { items?: DecodedEvaluateRequest[] } | undefined {
  return reading(bytes, (end) => {
    const items: DecodedEvaluateRequest[] = [];
    while (rpos < end) {
      if (varint32(end) !== 10) throw GIVE_UP;
      items.push(evaluateRequest(delimited(end), 1));
    }
    return items.length ? { items } : {};
  });
}

/** llm.policy.v1.EvaluateStreamRequest, in proto-loader's object form with a decoded request. */
export function decodeEvaluateStreamRequest(bytes: Buffer): { request_id?: string; request?: DecodedEvaluateRequest } | undefined {
  return reading(bytes, (end) => {
    const m: { request_id?: string; request?: DecodedEvaluateRequest } = {};
    while (rpos < end) {
      const tag = varint32(end);
      if (tag === 10 && m.request_id === undefined) m.request_id = string(end);
      else if (tag === 18 && m.request === undefined) m.request = evaluateRequest(delimited(end), 1);
      else throw GIVE_UP;
    }
    return m;
  });
}

// ---------------------------------------------------------------- writing
//
// protobufjs writes, for every field that is set (not null or undefined), in
// field-number order: strings even when empty, bools even when false,
// repeated fields element by element (nothing when empty), messages
// length-delimited. The same here, into one scratch buffer: a nested
// message's length is reserved as one byte and the message moved when its
// length needs more.

let wbuf = Buffer.allocUnsafe(16 * 1024);
let wpos = 0;

function ensure(n: number): void {
  if (wpos + n <= wbuf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(wbuf.length * 2, wpos + n));
  wbuf.copy(bigger, 0, 0, wpos);
  wbuf = bigger;
}

function putVarint(v: number): void {
  ensure(5);
  while (v > 127) {
    wbuf[wpos++] = (v & 127) | 128;
    v >>>= 7;
  }
  wbuf[wpos++] = v;
}

function varintSize(v: number): number {
  return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : v < 268435456 ? 4 : 5;
}

/** Opens a length-delimited field after its tag; close() writes the length. */
function open(): number {
  ensure(1);
  return wpos++;
}

function close(start: number): void {
  const len = wpos - start - 1;
  const n = varintSize(len);
  if (n > 1) {
    ensure(n - 1);
    wbuf.copyWithin(start + n, start + 1, wpos);
    wpos += n - 1;
  }
  let at = start;
  let v = len;
  while (v > 127) {
    wbuf[at++] = (v & 127) | 128;
    v >>>= 7;
  }
  wbuf[at] = v;
}

type Utf8Writer = { utf8Write?: (s: string, offset: number) => number };
/** Node's Buffer#utf8Write (what Buffer#write calls, minus the argument checks). */
const utf8Write: (buf: Buffer, s: string, at: number) => number =
  typeof (Buffer.prototype as Utf8Writer).utf8Write === 'function'
    ? (buf, s, at) => (buf as Utf8Writer).utf8Write!(s, at)
    : (buf, s, at) => buf.write(s, at);

const isWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

function putString(tag: number, s: unknown): void {
  // protobufjs writes short strings with its own UTF-8 encoder, which treats lone surrogates differently.
  if (typeof s !== 'string' || (isWellFormed ? !isWellFormed.call(s) : /[\ud800-\udfff]/.test(s))) throw GIVE_UP;
  putVarint(tag);
  ensure(5 + s.length * 3);
  const start = open();
  wpos += utf8Write(wbuf, s, wpos);
  close(start);
}

function putOptionalString(tag: number, s: unknown): void {
  if (s != null) putString(tag, s);
}

function putBool(tag: number, b: unknown): void {
  if (b == null) return;
  if (typeof b !== 'boolean') throw GIVE_UP;
  putVarint(tag);
  ensure(1);
  wbuf[wpos++] = b ? 1 : 0;
}

function putDouble(tag: number, x: unknown): void {
  if (x == null) return;
  if (typeof x !== 'number') throw GIVE_UP;
  putVarint(tag);
  ensure(8);
  wbuf.writeDoubleLE(x, wpos);
  wpos += 8;
}

function putUint32(tag: number, x: unknown): void {
  if (x == null) return;
  if (typeof x !== 'number' || !(x >= 0 && x <= 0xffffffff && Number.isInteger(x))) throw GIVE_UP;
  putVarint(tag);
  putVarint(x);
}

function list(v: unknown): readonly unknown[] | undefined {
  if (v == null) return undefined;
  if (!Array.isArray(v)) throw GIVE_UP;
  return v;
}

function object(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw GIVE_UP;
  return v as Record<string, unknown>;
}

function putMatched(m: Record<string, unknown>): void {
  putOptionalString(10, m.policy);
  putOptionalString(18, m.namespace);
  putOptionalString(26, m.rule);
  putOptionalString(34, m.decision);
  putOptionalString(42, m.reason);
  putOptionalString(50, m.severity);
  putOptionalString(58, m.mode);
  putOptionalString(66, m.error);
}

function putModification(m: Record<string, unknown>): void {
  // A `set` value is a google.protobuf.Value: the generic path writes those.
  if (m.value !== undefined) throw GIVE_UP;
  putOptionalString(10, m.op);
  putOptionalString(18, m.path);
  putDouble(33, m.max);
  putDouble(41, m.min);
  putOptionalString(50, m.policy);
  putOptionalString(58, m.rule);
}

function putSuggestion(s: Record<string, unknown>): void {
  putOptionalString(10, s.policy);
  putOptionalString(18, s.rule);
  if (s.values != null) {
    const values = object(s.values);
    for (const k of Object.keys(values)) {
      if (k === '__proto__') throw GIVE_UP;
      putVarint(26);
      const entry = open();
      putString(10, k);
      putString(18, values[k]);
      close(entry);
    }
  }
}

function putObligations(o: Record<string, unknown>): void {
  for (const m of list(o.modifications) ?? []) putMessage(10, m, putModification);
  for (const s of list(o.suggestions) ?? []) putMessage(18, s, putSuggestion);
  putDouble(25, o.max_tokens);
  putDouble(33, o.retry_after_ms);
}

function putRuleError(e: Record<string, unknown>): void {
  putOptionalString(10, e.policy);
  putOptionalString(18, e.rule);
  putOptionalString(26, e.part);
  putOptionalString(34, e.message);
  if (e.pos != null) {
    putMessage(42, e.pos, (p) => {
      putOptionalString(10, p.file);
      putUint32(16, p.line);
      putUint32(24, p.column);
    });
  }
  putOptionalString(50, e.effect);
}

function putMessage(tag: number, v: unknown, body: (o: Record<string, unknown>) => void): void {
  const o = object(v);
  putVarint(tag);
  const start = open();
  body(o);
  close(start);
}

function putDecision(d: Record<string, unknown>): void {
  // The trace is a google.protobuf.ListValue: the generic path writes it.
  if (d.trace != null) throw GIVE_UP;
  putOptionalString(10, d.decision);
  putBool(16, d.allowed);
  putOptionalString(26, d.reason);
  for (const m of list(d.matched) ?? []) putMessage(34, m, putMatched);
  if (d.obligations != null) putMessage(42, d.obligations, putObligations);
  for (const e of list(d.errors) ?? []) putMessage(50, e, putRuleError);
  for (const w of list(d.warnings) ?? []) putString(58, w);
  putOptionalString(66, d.revision);
  putBool(72, d.cached);
  putDouble(81, d.evaluation_time_us);
  putOptionalString(90, d.decision_id);
}

function writing(write: () => void): Buffer | undefined {
  wpos = 0;
  try {
    write();
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
  const out = Buffer.allocUnsafe(wpos);
  wbuf.copy(out, 0, 0, wpos);
  return out;
}

/** llm.policy.v1.EvaluateResponse { decision }; undefined: use the generic encoder. */
export function encodeEvaluateResponse(m: { decision?: Decision | object | null }): Buffer | undefined {
  return writing(() => {
    if (m.decision != null) putMessage(10, m.decision, putDecision);
  });
}

/** llm.policy.v1.EvaluateBatchResponse { decisions }; undefined: use the generic encoder. */
export function encodeEvaluateBatchResponse(m: { decisions?: readonly (Decision | object)[] | null }): Buffer | undefined {
  return writing(() => {
    for (const d of list(m.decisions) ?? []) putMessage(10, d, putDecision);
  });
}

/** llm.policy.v1.EvaluateStreamResponse with a decision; undefined (errors too): use the generic encoder. */
export function encodeEvaluateStreamResponse(m: { request_id?: string; decision?: Decision | object; error?: unknown }): Buffer | undefined {
  return writing(() => {
    if (m.error !== undefined || m.decision == null) throw GIVE_UP;
    putOptionalString(10, m.request_id);
    putMessage(18, m.decision, putDecision);
  });
}
