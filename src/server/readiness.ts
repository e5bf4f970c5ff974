// Whether the servers should be sent traffic: set by the daemon once
// policies are loaded, cleared when shutdown begins. The gRPC health service
// is pushed every change; REST reads it per request.

import type { PolicyService } from './service.js';

export type ReadinessState = 'starting' | 'ready' | 'stopping';

export class Readiness {
  private serving = false;
  private stopping = false;
  private readonly listeners: ((ready: boolean) => void)[] = [];

  constructor(private readonly service: PolicyService) {}

  /** Ready only when the daemon says so and an engine is there to answer. */
  get ready(): boolean {
    return this.serving && !this.stopping && this.service.ready;
  }

  get state(): ReadinessState {
    if (this.stopping) return 'stopping';
    return this.ready ? 'ready' : 'starting';
  }

  setServing(serving: boolean): void {
    this.serving = serving;
    this.notify();
  }

  /** For good: a server that is shutting down never becomes ready again. */
  stop(): void {
    this.stopping = true;
    this.notify();
  }

  onChange(listener: (ready: boolean) => void): void {
    this.listeners.push(listener);
    listener(this.ready);
  }

  private notify(): void {
    const ready = this.ready;
    for (const l of this.listeners) l(ready);
  }
}
