// server.limits.request_timeout_seconds for the work a request does after it
// arrived (a remote limit store that hangs, a huge batch). The work itself
// cannot be interrupted — a limit check that reached Redis may still count —
// but the caller gets its answer on time.

import { ServiceError } from './errors.js';

export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0)) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ServiceError('deadline_exceeded', `${what} did not finish within ${ms / 1000} s (server.limits.request_timeout_seconds)`));
    }, ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
