// The little the servers log themselves (where they listen, connection-level
// failures). A pino logger fits; requests are logged by the daemon's hooks.

export interface ServerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const SILENT_LOGGER: ServerLogger = { info() {}, warn() {}, error() {} };
