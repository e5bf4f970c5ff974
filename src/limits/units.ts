// Limits and budgets count whole units so sums are exact: requests and tokens
// as they are, dollars as micro-dollars (one millionth of a dollar — the
// cheapest models cost about 0.05 micro-dollars a token, so per-request
// amounts stay well above rounding).

export const MICROS_PER_DOLLAR = 1_000_000;

/** Dollars → micro-dollars, rounded up: an estimate never understates a cost. */
export function toMicros(dollars: number): number {
  return Math.ceil(dollars * MICROS_PER_DOLLAR - 1e-9);
}

/** A budget limit in dollars → micro-dollars, rounded down: a limit is never exceeded by rounding. */
export function limitToMicros(dollars: number): number {
  return Math.floor(dollars * MICROS_PER_DOLLAR + 1e-9);
}

export function fromMicros(micros: number): number {
  return micros / MICROS_PER_DOLLAR;
}

/** A count (requests, tokens): a whole, non-negative number, rounded up. */
export function toCount(n: number): number {
  return Math.max(0, Math.ceil(n - 1e-9));
}
