// `--pricing FILE` of eval and test: prices in the pricing JSON format
// (docs/functions.md, "The pricing table"), applied over the shipped table —
// a few changed or added models, or a complete table of one's own.

import { readFile } from 'node:fs/promises';
import { type PricingTable, PricingError, defaultPricing } from '../functions/pricing.js';
import { UsageError } from './output.js';

export async function readPricingOption(path: string): Promise<PricingTable> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--pricing ${path}: cannot read the file (${e.code ?? e.message})`);
  });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--pricing ${path}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return defaultPricing().extend(doc, path);
  } catch (e) {
    if (e instanceof PricingError) throw new UsageError(`--pricing ${path} is invalid:\n${e.problems.map((p) => `  - ${p}`).join('\n')}`);
    throw e;
  }
}
