// Real clients for both adapters behind one interface, so one table of cases
// runs against REST (fetch) and gRPC (a grpc-js client made from the proto).
// Both answer in the REST/library JSON shape: gRPC messages are converted back.

import { type ChannelCredentials, type Client, type ServiceError as GrpcError, credentials, loadPackageDefinition, status } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { makeClientConstructor, makeGenericClientConstructor } from '@grpc/grpc-js';
import { ERROR_CODES, type ErrorCode } from '../../src/server/errors.js';
import { PROTO_PATH, SERVICE_NAME } from '../../src/server/grpc/proto.js';
import { type ProtoValue, fromValue } from '../../src/server/grpc/struct.js';
import { toStruct } from '../../src/server/grpc/struct.js';

export type ApiResult = { readonly ok: true; readonly body: any } | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly status: number };

export interface ApiClient {
  readonly transport: 'http' | 'grpc';
  evaluate(req: Record<string, unknown>): Promise<ApiResult>;
  evaluateBatch(req: { items: Record<string, unknown>[] }): Promise<ApiResult>;
  reportUsage(req: Record<string, unknown>): Promise<ApiResult>;
  listPolicies(): Promise<ApiResult>;
  getPolicy(id: string): Promise<ApiResult>;
  close(): void;
}

// --- REST -------------------------------------------------------------------

export function httpClient(base: string, init: { dispatcher?: unknown } = {}): ApiClient {
  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResult> {
    const res = await fetch(base + path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      ...(init as object),
    });
    const json = (await res.json()) as any;
    if (res.ok) return { ok: true, body: json };
    return { ok: false, code: json.error.code, message: json.error.message, status: res.status };
  }
  return {
    transport: 'http',
    evaluate: (req) => call('POST', '/v1/evaluate', req),
    evaluateBatch: (req) => call('POST', '/v1/evaluate/batch', req),
    reportUsage: (req) => call('POST', '/v1/usage', req),
    listPolicies: () => call('GET', '/v1/policies'),
    getPolicy: (id) => call('GET', `/v1/policies/${id.split('/').map(encodeURIComponent).join('/')}`),
    close: () => undefined,
  };
}

// --- gRPC -------------------------------------------------------------------

/** Decoded with defaults, so absent scalars read as their zero values, as a client would see them. */
const CLIENT_LOADER = { keepCase: true, longs: Number, enums: String, defaults: true, arrays: true, oneofs: true };

let pkg: any;
function proto(): any {
  pkg ??= loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, CLIENT_LOADER));
  return pkg.llm.policy.v1;
}

export type GrpcPolicyClient = Client & Record<string, any>;

export function grpcPolicyClient(address: string, creds: ChannelCredentials = credentials.createInsecure(), options: object = {}): GrpcPolicyClient {
  return new (proto().PolicyEngine)(address, creds, options) as GrpcPolicyClient;
}

const HealthClient = makeClientConstructor(healthService as any, 'grpc.health.v1.Health');
export function grpcHealthClient(address: string, creds: ChannelCredentials = credentials.createInsecure()): Client & Record<string, any> {
  return new HealthClient(address, creds) as Client & Record<string, any>;
}

export function unaryCall<T = any>(client: GrpcPolicyClient, method: string, req: object, options: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](req, options, (err: GrpcError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Sends `messages` on one EvaluateStream, ends it, and returns every answer once the server has ended the stream. */
export async function streamCall(address: string, messages: readonly object[]): Promise<any[]> {
  const client = grpcPolicyClient(address);
  try {
    const stream = client.EvaluateStream();
    const responses: any[] = [];
    stream.on('data', (r: any) => responses.push(r));
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (const m of messages) stream.write(m);
    stream.end();
    await ended;
    return responses;
  } finally {
    client.close();
  }
}

/** gRPC status → the API code (INVALID_ARGUMENT is invalid_argument: unsupported_media_type is REST only). */
export function codeOfStatus(s: status): ErrorCode {
  const hit = Object.entries(ERROR_CODES).find(([, m]) => m.grpc === s);
  if (!hit) throw new Error(`unexpected gRPC status ${status[s]}`);
  return hit[0] as ErrorCode;
}

function without<T extends object>(o: T, ...keys: string[]): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k) && !k.startsWith('_')) out[k] = v;
  return out as T;
}

/** A Decision message back in the library's shape (optional fields only when present). */
export function decisionFromMessage(m: any): any {
  const o = m.obligations ?? { modifications: [], suggestions: [] };
  const d: any = {
    decision: m.decision,
    allowed: m.allowed,
    reason: m.reason,
    matched: m.matched.map((r: any) => without(r)),
    obligations: {
      modifications: o.modifications.map((x: any) => {
        const base = { op: x.op, path: x.path };
        const who = { policy: x.policy, rule: x.rule };
        if (x.op === 'set') return { ...base, value: fromValue(x.value as ProtoValue), ...who };
        if (x.op === 'clamp') return { ...base, ...('max' in x ? { max: x.max } : {}), ...('min' in x ? { min: x.min } : {}), ...who };
        return { ...base, ...who };
      }),
      suggestions: o.suggestions.map((s: any) => ({ policy: s.policy, rule: s.rule, values: { ...s.values } })),
      ...('max_tokens' in o ? { max_tokens: o.max_tokens } : {}),
      ...('retry_after_ms' in o ? { retry_after_ms: o.retry_after_ms } : {}),
    },
    errors: m.errors.map((e: any) => ({ ...without(e, 'pos'), ...(e.pos ? { pos: { ...e.pos } } : {}) })),
    warnings: m.warnings,
    revision: m.revision,
    cached: m.cached,
    evaluation_time_us: m.evaluation_time_us,
    decision_id: m.decision_id,
  };
  if (m.trace) d.trace = fromValue({ kind: 'listValue', listValue: m.trace });
  return d;
}

/** The REST request shape as a gRPC EvaluateRequest (the context as a Struct). */
export function evaluateMessage(req: Record<string, unknown>): object {
  const { context, ...rest } = req;
  const m: Record<string, unknown> = { ...rest };
  // Non-object contexts cannot be expressed in the proto: they become an absent context.
  if (context && typeof context === 'object' && !Array.isArray(context)) m.context = toStruct(context as Record<string, unknown>);
  return m;
}

export function grpcClient(address: string, creds?: ChannelCredentials): ApiClient {
  const client = grpcPolicyClient(address, creds);
  async function call(method: string, req: object, convert: (res: any) => any): Promise<ApiResult> {
    try {
      return { ok: true, body: convert(await unaryCall(client, method, req)) };
    } catch (e) {
      const err = e as GrpcError;
      return { ok: false, code: codeOfStatus(err.code), message: err.details, status: err.code };
    }
  }
  return {
    transport: 'grpc',
    evaluate: (req) => call('Evaluate', evaluateMessage(req), (r) => decisionFromMessage(r.decision)),
    evaluateBatch: (req) => call('EvaluateBatch', { items: req.items.map(evaluateMessage) }, (r) => ({ decisions: r.decisions.map(decisionFromMessage) })),
    reportUsage: (req) => call('ReportUsage', req, (r) => ({ found: r.found, settled: r.settled })),
    listPolicies: () => call('ListPolicies', {}, (r) => ({ revision: r.revision, policies: r.policies.map((p: any) => without(p)) })),
    getPolicy: (id) =>
      call('GetPolicy', { id }, (r) => ({ revision: r.revision, policy: { ...without(r.policy), rules: r.policy.rules.map((x: any) => without(x)) } })),
    close: () => client.close(),
  };
}

/** A client of PolicyEngine/Evaluate that sends and receives raw bytes: for messages the proto cannot express. */
export function rawEvaluateClient(address: string): Client & Record<string, any> {
  const Raw = makeGenericClientConstructor(
    {
      Evaluate: {
        path: `/${SERVICE_NAME}/Evaluate`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    'Raw',
  );
  return new Raw(address, credentials.createInsecure()) as Client & Record<string, any>;
}
