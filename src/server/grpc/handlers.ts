// The PolicyEngine gRPC service: each method translates a message for the
// service layer and its answer (or ServiceError) back.

import type { ServerDuplexStream, ServerUnaryCall, StatusObject, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { ServiceError, asServiceError } from '../errors.js';
import type { PolicyService } from '../service.js';
import { type EvaluateRequestMessage, type UsageRequestMessage, decisionMessage, evaluateRequestOf, usageRequestOf } from './messages.js';
import { MalformedMessage } from './proto.js';
import { traceIdFrom } from '../trace-id.js';

/** The call's trace id (traceparent or x-request-id metadata), for logs and audit. */
function traceOf(metadata: Metadata | undefined): string | undefined {
  return metadata ? traceIdFrom((n) => metadata.get(n)) : undefined;
}

function statusOf(e: ServiceError): Partial<StatusObject> {
  return { code: e.grpcStatus, details: e.message, metadata: new Metadata() };
}

interface StreamRequest {
  request_id?: string;
  request?: EvaluateRequestMessage | null;
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req | MalformedMessage, Res>, callback: sendUnaryData<Res>) => void;

export function policyEngineHandlers(service: PolicyService): UntypedServiceImplementation {
  const malformed = (m: MalformedMessage): ServiceError => service.transportError(new ServiceError('invalid_argument', m.message), 'grpc');

  /** One unary call: the service's answer, or its error as the gRPC status of its code. */
  function unary<Req, Res>(work: (req: Req, traceId: string | undefined) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
      const req = call.request;
      if (req instanceof MalformedMessage) return callback(statusOf(malformed(req)));
      work(req, traceOf(call.metadata)).then(
        (res) => callback(null, res),
        (e: unknown) => callback(statusOf(asServiceError(e))),
      );
    };
  }

  return {
    Evaluate: unary(async (m: EvaluateRequestMessage, traceId) => ({ decision: decisionMessage(await service.evaluate(evaluateRequestOf(m), 'grpc', traceId)) })),

    EvaluateBatch: unary(async (m: { items?: EvaluateRequestMessage[] }, traceId) => {
      const r = await service.evaluateBatch({ items: (m.items ?? []).map(evaluateRequestOf) }, 'grpc', traceId);
      return { decisions: r.decisions.map(decisionMessage) };
    }),

    EvaluateStream: (call: ServerDuplexStream<StreamRequest, object>) => {
      // Responses may complete out of order (remote limit stores); the client matches request_id.
      // The stream ends once the client has half-closed and every answer is written.
      let pending = 0;
      let ended = false;
      const traceId = traceOf(call.metadata);
      const finish = (): void => {
        if (ended && pending === 0) call.end();
      };
      const answer = (response: object): void => {
        if (!call.cancelled) call.write(response);
      };
      call.on('data', (m: StreamRequest | MalformedMessage) => {
        if (m instanceof MalformedMessage) return answer({ request_id: '', error: malformed(m).toJSON().error });
        pending++;
        const request_id = m.request_id ?? '';
        service
          .evaluate(evaluateRequestOf(m.request), 'grpc', traceId)
          .then(
            (d) => answer({ request_id, decision: decisionMessage(d) }),
            (e: unknown) => answer({ request_id, error: asServiceError(e).toJSON().error }),
          )
          .finally(() => {
            pending--;
            finish();
          });
      });
      call.on('end', () => {
        ended = true;
        finish();
      });
      // A cancelled stream (client gone) needs no answers; errors are the client's connection failing.
      call.on('error', () => undefined);
    },

    ReportUsage: unary((m: UsageRequestMessage) => service.reportUsage(usageRequestOf(m), 'grpc')),

    ListPolicies: unary(() => service.listPolicies('grpc')),

    GetPolicy: unary((m: { id?: string }) => service.getPolicy(m.id ?? '', 'grpc')),
  };
}
