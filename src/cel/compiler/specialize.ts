// Hot closures compiled as their own function literals.
//
// V8 keeps type feedback per function literal. Closures made from one shared
// literal (one `(a) => o[k]` for every path in every policy) see every key
// and object shape, their property loads go megamorphic and run ~3x slower.
// Instantiating a fixed template with `new Function` gives each site its own
// literal and its own feedback, so `request.model` becomes a monomorphic load.
//
// Safety: the templates below are constants of this file. Policy text never
// enters generated source — names and values are passed as arguments — and
// the only varying text is a serial number that keeps V8 from sharing one
// compiled literal (and its feedback) between instantiations.

let serial = 0;

/** Instantiates `body` (a fixed template) with `params` bound to `args`; returns what the body returns. */
export function instantiate<T>(params: readonly string[], body: string, args: readonly unknown[]): T {
  serial = (serial + 1) % Number.MAX_SAFE_INTEGER;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...params, `${body}\n//# site ${serial}`) as (...a: unknown[]) => T;
  return factory(...args);
}
