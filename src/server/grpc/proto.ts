// Loads proto/policy_engine.proto (shipped in the package) at run time.
// The health service's proto is loaded alongside so server reflection lists
// both services.

import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  decodeEvaluateBatchRequest,
  decodeEvaluateRequest,
  decodeEvaluateStreamRequest,
  encodeEvaluateBatchResponse,
  encodeEvaluateResponse,
  encodeEvaluateStreamResponse,
} from './fast-codec.js';

/** src/server/grpc and dist/server/grpc are both three levels below the package root. */
export const PROTO_PATH = fileURLToPath(new URL('../../../proto/policy_engine.proto', import.meta.url));

export const SERVICE_NAME = 'llm.policy.v1.PolicyEngine';

/**
 * keepCase: the proto's snake_case names are the API's names (as in REST).
 * oneofs: each Struct Value says which `kind` it holds.
 * No defaults: absent fields stay absent, so validation can say "context is required".
 */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, enums: String, longs: Number, defaults: false, oneofs: true };

/** What a request deserializer returns for bytes that are not the message: the handler answers INVALID_ARGUMENT. */
export class MalformedMessage {
  constructor(readonly message: string) {}
}

/**
 * grpc-js answers INTERNAL when a request does not decode; it is the
 * client's error, so deserializers here return a MalformedMessage instead
 * of throwing, and the handlers answer INVALID_ARGUMENT.
 */
function tolerant(service: ServiceDefinition): ServiceDefinition {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    const encode = method.responseSerialize;
    // proto-loader's method definitions carry the request's descriptor.
    const type = (method as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? `${name} request`;
    // The evaluation methods read and write their messages directly when they can (fast-codec.ts).
    const fast = FAST[name];
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const quick = fast?.decode(bytes);
        if (quick !== undefined) return quick;
        try {
          return decode(bytes);
        } catch (e) {
          return new MalformedMessage(`the message is not a valid llm.policy.v1.${type}: ${(e as Error).message}`);
        }
      },
      ...(fast ? { responseSerialize: (value: never) => fast.encode(value) ?? encode(value) } : {}),
    };
  }
  return out as ServiceDefinition;
}

const FAST: Record<string, { decode(bytes: Buffer): unknown; encode(value: never): Buffer | undefined } | undefined> = {
  Evaluate: { decode: decodeEvaluateRequest, encode: encodeEvaluateResponse },
  EvaluateBatch: { decode: decodeEvaluateBatchRequest, encode: encodeEvaluateBatchResponse },
  EvaluateStream: { decode: decodeEvaluateStreamRequest, encode: encodeEvaluateStreamResponse },
};

export interface LoadedProto {
  /** Every loaded type, for server reflection. */
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly service: ServiceDefinition;
}

let loaded: LoadedProto | undefined;

export function loadProto(): LoadedProto {
  if (!loaded) {
    const packageDefinition = protoLoader.loadSync([PROTO_PATH, healthProtoPath], LOADER_OPTIONS);
    loaded = { packageDefinition, service: tolerant(packageDefinition[SERVICE_NAME] as unknown as ServiceDefinition) };
  }
  return loaded;
}
