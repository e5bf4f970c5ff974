// The `code` label of policy_engine_request_errors_total for each API error
// code: what a dashboard can tell apart. A client asking for what is not there
// (404) or sending the wrong media type (415) is not an invalid argument; the
// labels are the ones docs/observability.md lists.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { METRIC_CODES } from '../../src/daemon/serving.js';
import { ERROR_CODES } from '../../src/server/errors.js';
import { ROOT } from '../cli/helpers.js';

/** The codes whose label is not the code itself. */
const RENAMED: Record<string, string> = { resource_exhausted: 'too_large', deadline_exceeded: 'timeout', request_timeout: 'timeout' };

describe('METRIC_CODES', () => {
  test('covers every code of ERROR_CODES', () => {
    expect(Object.keys(METRIC_CODES).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  test.each(Object.keys(ERROR_CODES))('%s keeps its name unless it is one of the renamed ones', (code) => {
    expect(METRIC_CODES[code as keyof typeof METRIC_CODES]).toBe(RENAMED[code] ?? code);
  });

  test('the labels are the ones docs/observability.md lists for the metric', () => {
    const row = readFileSync(join(ROOT, 'docs/observability.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `policy_engine_request_errors_total`'));
    const listed = /`code` \(([^)]*)\)/.exec(row ?? '')?.[1].split(',').map((s) => s.trim());
    expect(new Set(listed)).toEqual(new Set(Object.values(METRIC_CODES)));
  });
});
