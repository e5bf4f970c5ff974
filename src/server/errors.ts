// The one catalogue of API error codes and what each becomes on the wire.
// Both adapters map through ERROR_CODES, so REST and gRPC always agree; the
// table in docs/api.md is checked against it by a test.

import { status as GrpcStatus } from '@grpc/grpc-js';

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'resource_exhausted'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'internal'
  | 'unsupported_media_type'
  | 'request_timeout';

export interface ErrorMapping {
  readonly http: number;
  readonly grpc: GrpcStatus;
}

export const ERROR_CODES: { readonly [C in ErrorCode]: ErrorMapping } = {
  invalid_argument: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  not_found: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  // Oversized bodies and batches: 413 says "send less", which is the remedy for both.
  resource_exhausted: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  unavailable: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  deadline_exceeded: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  internal: { http: 500, grpc: GrpcStatus.INTERNAL },
  // REST only (gRPC fixes its own content type); INVALID_ARGUMENT keeps the mapping total.
  unsupported_media_type: { http: 415, grpc: GrpcStatus.INVALID_ARGUMENT },
  // REST only: the client did not send its request in time (http/client-errors.ts). gRPC has no
  // such answer (a slow gRPC sender is bounded by its own deadline); DEADLINE_EXCEEDED keeps the mapping total.
  request_timeout: { http: 408, grpc: GrpcStatus.DEADLINE_EXCEEDED },
};

/** An error the API reports to its caller: a stable code and a message that says what is wrong and where. */
export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get grpcStatus(): GrpcStatus {
    return ERROR_CODES[this.code].grpc;
  }

  /** The REST error body, and the gRPC stream's per-message error. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The message callers see for failures that are our bugs: details go to the log (onError), not the wire. */
export const INTERNAL_MESSAGE = 'internal error: the server logged the details';

/** Any thrown value as a ServiceError: unknown errors become `internal` (the original stays available as `cause`). */
export function asServiceError(e: unknown): ServiceError {
  if (e instanceof ServiceError) return e;
  return new ServiceError('internal', INTERNAL_MESSAGE, { cause: e });
}
