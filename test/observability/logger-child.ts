// Run by logger.test.ts: logs one line to the output named on the command line.
import { createLogger } from '../../src/observability/logger.js';

const output = process.argv[2] as 'stdout' | 'stderr';
const log = createLogger({ level: 'info', format: 'json', output, file: { path: '/unused', max_size_mb: 1, max_files: 1, rotate: false }, include_trace_id: true, include_user_id: true, include_metadata: true });
log.logger.info('hello');
await log.close();
