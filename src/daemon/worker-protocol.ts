// Messages between the cluster primary and its worker processes (besides the
// limit store's, the metrics' and the output streams', which have their own).

import type { ReloadOutcome } from './serving.js';

/** The worker's configuration, checked by the primary, as JSON. */
export const WORKER_CONFIG_ENV = 'LLM_POLICY_ENGINE_WORKER_CONFIG';

export type PrimaryMessage =
  | { readonly t: 'policy-engine:reload'; readonly id: number }
  | { readonly t: 'policy-engine:shutdown'; readonly grace_ms: number };

export type WorkerMessage =
  | { readonly t: 'policy-engine:listening'; readonly grpc_port: number; readonly http_port: number | undefined }
  | { readonly t: 'policy-engine:start-failed'; readonly message: string }
  | { readonly t: 'policy-engine:reloaded'; readonly id: number; readonly outcome: ReloadOutcome };

const PRIMARY = new Set(['policy-engine:reload', 'policy-engine:shutdown']);
const WORKER = new Set(['policy-engine:listening', 'policy-engine:start-failed', 'policy-engine:reloaded']);

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typeof m === 'object' && m !== null && PRIMARY.has((m as { t?: string }).t ?? '');
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && WORKER.has((m as { t?: string }).t ?? '');
}
