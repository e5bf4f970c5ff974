// The trace id of a request, for logs and audit records (logging.include_trace_id):
// the W3C `traceparent` header (or gRPC metadata) that OpenTelemetry and most
// gateways send, else an `x-request-id`. Only a well-formed value is kept, and
// a request id is capped in length and printable characters, so a client
// cannot put arbitrary text into the audit trail.

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** `get` returns a header's (or metadata key's) value, lower-case names. */
export function traceIdFrom(get: (name: string) => unknown): string | undefined {
  const tp = first(get('traceparent'));
  if (tp) {
    const m = TRACEPARENT.exec(tp.trim().toLowerCase());
    if (m && !/^0+$/.test(m[1]!)) return m[1];
  }
  const rid = first(get('x-request-id'));
  return rid && REQUEST_ID.test(rid) ? rid : undefined;
}

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  if (Buffer.isBuffer(v)) return undefined;
  return typeof v === 'string' ? v : undefined;
}
