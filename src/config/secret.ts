// A value that must never reach a log line, an error message or a JSON dump
// (the registry token from POLICY_ENGINE_REGISTRY_AUTH_TOKEN). Logging the whole
// configuration object is a common start-up habit; this makes it harmless.

import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself: call only where it is sent to the service that needs it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  /** JSON.stringify and pino call this. */
  toJSON(): string {
    return REDACTED;
  }

  /** console.log and util.inspect call this. */
  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
