// SIGTERM and SIGINT start a graceful shutdown once; a second SIGINT (an
// impatient Ctrl-C) stops at once. Errors nobody caught are logged: an
// unhandled rejection is logged and the daemon carries on (one request's
// failure must not stop the others); an uncaught exception leaves the process
// in an unknown state, so it is logged and the process exits 1 (the
// orchestrator restarts it).

import type { Logger } from 'pino';

export function onShutdownSignals(logger: Logger, shutdown: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === 'SIGINT') {
        logger.warn('second SIGINT: stopping now, without waiting for requests in flight');
        process.exit(130);
      }
      return;
    }
    stopping = true;
    void shutdown(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

export function onUncaughtErrors(logger: Logger, flush: () => Promise<void>): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (the daemon carries on)');
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: exiting');
    void flush().finally(() => process.exit(1));
  });
}
