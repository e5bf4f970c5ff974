// The JSON body parser. Fastify's own says only "Body is not valid JSON";
// ours passes on what JSON.parse found and where ("Expected ',' or '}' after
// property value in JSON at position 42").

import { ServiceError } from '../errors.js';

/** A key that, copied onto another object with Object.assign, would replace its prototype. */
const PROTO = '__proto__';

function hasProtoKey(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasProtoKey);
  if (Object.prototype.hasOwnProperty.call(v, PROTO)) return true;
  for (const k in v) if (hasProtoKey((v as Record<string, unknown>)[k])) return true;
  return false;
}

export function parseJsonBody(body: string): unknown {
  if (body === '') throw new ServiceError('invalid_argument', 'the request body is empty: send a JSON object');
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    throw new ServiceError('invalid_argument', `the request body is not valid JSON: ${(e as Error).message}`);
  }
  // Scanning the parsed value costs a walk: only when the text could spell the key (literally or escaped).
  if ((body.includes(PROTO) || body.includes('\\u')) && hasProtoKey(v)) {
    throw new ServiceError('invalid_argument', 'the request body contains a "__proto__" key, which is not accepted');
  }
  return v;
}
