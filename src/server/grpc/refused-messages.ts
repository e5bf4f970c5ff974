// Messages grpc-js refuses itself, reported like the service's own errors.
//
// A message over grpc.max_receive_message_length (server.limits.max_request_size_mb)
// is refused by grpc-js as soon as its length prefix arrives, before any
// handler runs, so the service never sees it. grpc-js sends that status from
// its base call object (BaseServerInterceptingCall.handleDataFrame and
// decompressAndMaybePush call `this.sendStatus`), not through the interceptor
// chain, so an interceptor's responder never sees it either. What does see it:
// the base call's own sendStatus. The interceptor below is the first of the
// chain, so the call it is given is that base call; it replaces the call's
// sendStatus with one that notes the refusal and then sends the status as
// before. It returns the same call: no wrapper objects, and per call only a
// property store (the status check runs once, when the call ends).
//
// The limit itself stays: the refusal happens before the message is buffered.
// test/server/grpc.test.ts checks that an oversized message is reported, so a
// grpc-js that sends this status another way fails there.

import { type ServerInterceptingCall, type ServerInterceptor, type StatusObject, status as GrpcStatus } from '@grpc/grpc-js';

/** How grpc-js's refusals of a received message start (stream-decoder.js, server-interceptors.js). */
const REFUSED = 'Received message ';

type SendStatus = (this: unknown, status: PartialStatus) => void;
type PartialStatus = Partial<StatusObject> & Pick<StatusObject, 'code' | 'details'>;

/**
 * A server interceptor (put it first in the `interceptors` option) that calls
 * `onRefused(details)` for every message grpc-js refuses as too large.
 */
export function refusedMessageInterceptor(onRefused: (details: string) => void): ServerInterceptor {
  let original: SendStatus | undefined;
  // grpc-js may refuse again as more frames of the same stream arrive (only its first status is sent): one report per call.
  const reported = new WeakSet<object>();
  // One function for all calls (no closure per call); `this` is the call.
  const sendStatus: SendStatus = function (this: unknown, status: PartialStatus) {
    if (status.code === GrpcStatus.RESOURCE_EXHAUSTED && typeof status.details === 'string' && status.details.startsWith(REFUSED) && !reported.has(this as object)) {
      reported.add(this as object);
      try {
        onRefused(status.details);
      } catch {
        // Counting must not keep the status from being sent.
      }
    }
    original!.call(this, status);
  };
  return (_method, call) => {
    const c = call as unknown as { sendStatus: SendStatus };
    original ??= c.sendStatus;
    // Only the base call's own method is replaced: anything else (another interceptor first) is left alone.
    if (c.sendStatus === original) c.sendStatus = sendStatus;
    return call as unknown as ServerInterceptingCall;
  };
}
