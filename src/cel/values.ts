// Runtime representation of CEL values.
//
// The mapping is chosen so that an evaluation context parsed from JSON can be
// read without any conversion pass (zero copies on the request path):
//
//   CEL type      JS representation
//   null          null
//   bool          boolean
//   int           bigint            (exact int64; overflow is an error)
//   uint          CelUint           (a bigint in [0, 2^64))
//   double        number            (JSON numbers are doubles, as in CEL's JSON mapping)
//   string        string
//   bytes         Uint8Array
//   list          Array
//   map           plain object (string keys, e.g. from JSON) or CelMap (any key type)
//   timestamp     CelTimestamp
//   duration      CelDuration
//   type          CelType
//   optional      CelOptional
//
// `undefined` never is a value: reading it from a context means "absent".

/** An unsigned 64-bit integer. A class, not a bare bigint, so int and uint stay distinct at run time. */
export class CelUint {
  constructor(readonly value: bigint) {}
  toString(): string {
    return `${this.value}u`;
  }
}

export const MAX_INT = (1n << 63n) - 1n;
export const MIN_INT = -(1n << 63n);
export const MAX_UINT = (1n << 64n) - 1n;

/** Seconds between 0001-01-01T00:00:00Z and the Unix epoch, and up to 9999-12-31T23:59:59Z. */
export const MIN_TIMESTAMP_SECONDS = -62135596800;
export const MAX_TIMESTAMP_SECONDS = 253402300799;
/** The range of google.protobuf.Duration: ±10,000 years. */
export const MAX_DURATION_SECONDS = 315576000000;

/** A point in time with nanosecond precision. `seconds` is an integer (Unix seconds), `nanos` in [0, 1e9). */
export class CelTimestamp {
  constructor(
    readonly seconds: number,
    readonly nanos: number,
  ) {}
}

/** A signed span of time; `seconds` and `nanos` always share a sign, |nanos| < 1e9. */
export class CelDuration {
  constructor(
    readonly seconds: number,
    readonly nanos: number,
  ) {}
}

/** A type as a value: `type(1) == int`. `name` is the CEL name (`int`, `list`, `google.protobuf.Timestamp`). */
export class CelType {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export const TYPES = {
  null_type: new CelType('null_type'),
  bool: new CelType('bool'),
  int: new CelType('int'),
  uint: new CelType('uint'),
  double: new CelType('double'),
  string: new CelType('string'),
  bytes: new CelType('bytes'),
  list: new CelType('list'),
  map: new CelType('map'),
  timestamp: new CelType('google.protobuf.Timestamp'),
  duration: new CelType('google.protobuf.Duration'),
  type: new CelType('type'),
  optional_type: new CelType('optional_type'),
  dyn: new CelType('dyn'),
} as const;

/** An optional value: `optional.of(x)` holds x; `optional.none()` holds nothing. */
export class CelOptional {
  static readonly NONE = new CelOptional(undefined);
  constructor(readonly value: unknown) {}
  hasValue(): boolean {
    return this.value !== undefined;
  }
  static of(v: unknown): CelOptional {
    return new CelOptional(v);
  }
}

/**
 * A map with keys of any CEL key type (bool, int, uint, string). Numeric keys are
 * normalised to bigint so that `{1: 'a'}[1u]` and `{1: 'a'}[1.0]` find the entry,
 * as CEL's heterogeneous equality requires; the original keys are kept for iteration.
 */
export class CelMap {
  private readonly entries = new Map<unknown, [key: unknown, value: unknown]>();

  get size(): number {
    return this.entries.size;
  }

  /** Returns false when an equal key was already present (the caller reports the duplicate). */
  set(key: unknown, value: unknown): boolean {
    const k = normalizeKey(key);
    if (this.entries.has(k)) return false;
    this.entries.set(k, [key, value]);
    return true;
  }

  /** undefined when absent (values are never undefined). */
  get(key: unknown): unknown {
    const k = normalizeKey(key);
    if (k === BAD_KEY) return undefined;
    const e = this.entries.get(k);
    return e === undefined ? undefined : e[1];
  }

  has(key: unknown): boolean {
    const k = normalizeKey(key);
    return k !== BAD_KEY && this.entries.has(k);
  }

  keys(): unknown[] {
    const out: unknown[] = [];
    for (const e of this.entries.values()) out.push(e[0]);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<[unknown, unknown]> {
    for (const e of this.entries.values()) yield e;
  }
}

const BAD_KEY = Symbol('bad-key');

function normalizeKey(key: unknown): unknown {
  switch (typeof key) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return key;
    case 'number':
      // Only integral doubles can equal an int/uint key.
      return Number.isInteger(key) ? BigInt(key) : BAD_KEY;
    case 'object':
      if (key instanceof CelUint) return key.value;
      return BAD_KEY;
    default:
      return BAD_KEY;
  }
}

/** Value kinds, for dispatch. */
export const enum Kind {
  Null = 0,
  Bool = 1,
  Int = 2,
  Uint = 3,
  Double = 4,
  String = 5,
  Bytes = 6,
  List = 7,
  Map = 8,
  Timestamp = 9,
  Duration = 10,
  Type = 11,
  Optional = 12,
  Unsupported = 13,
}

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'string':
      return Kind.String;
    case 'number':
      return Kind.Double;
    case 'bigint':
      return Kind.Int;
    case 'boolean':
      return Kind.Bool;
    case 'object': {
      if (v === null) return Kind.Null;
      if (Array.isArray(v)) return Kind.List;
      const p = Object.getPrototypeOf(v);
      if (p === Object.prototype || p === null) return Kind.Map;
      if (p === CelMap.prototype) return Kind.Map;
      if (p === CelUint.prototype) return Kind.Uint;
      if (p === CelTimestamp.prototype) return Kind.Timestamp;
      if (p === CelDuration.prototype) return Kind.Duration;
      if (p === CelType.prototype) return Kind.Type;
      if (p === CelOptional.prototype) return Kind.Optional;
      if (v instanceof Uint8Array) return Kind.Bytes;
      if (v instanceof Map) return Kind.Unsupported;
      return Kind.Unsupported;
    }
    default:
      return Kind.Unsupported;
  }
}

export function isMap(v: unknown): v is Record<string, unknown> | CelMap {
  return kindOf(v) === Kind.Map;
}

/** A plain JS object used as a string-keyed map (JSON objects, null-prototype records). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

const KIND_TYPES: readonly CelType[] = [
  TYPES.null_type,
  TYPES.bool,
  TYPES.int,
  TYPES.uint,
  TYPES.double,
  TYPES.string,
  TYPES.bytes,
  TYPES.list,
  TYPES.map,
  TYPES.timestamp,
  TYPES.duration,
  TYPES.type,
  TYPES.optional_type,
];

/** The CEL type of a runtime value, or undefined for JS values CEL cannot represent. */
export function typeOfValue(v: unknown): CelType | undefined {
  return KIND_TYPES[kindOf(v)];
}

export const KIND_NAMES: readonly string[] = [
  'null',
  'bool',
  'int',
  'uint',
  'double',
  'string',
  'bytes',
  'list',
  'map',
  'timestamp',
  'duration',
  'type',
  'optional',
  'unsupported',
];

/** A short human-readable type name for error messages. */
export function kindName(v: unknown): string {
  const k = kindOf(v);
  if (k === Kind.Unsupported) {
    if (v === undefined) return 'absent';
    if (typeof v === 'object' && v !== null) return `unsupported JS object (${v.constructor?.name ?? 'unknown'})`;
    return `unsupported JS ${typeof v}`;
  }
  return KIND_NAMES[k]!;
}

/** Names defined on Object.prototype: reading them from a plain object must check own-ness. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Reads an own property of a plain object; undefined when absent. Safe for `__proto__`, `constructor` and the like. */
export function ownValue(o: Record<string, unknown>, key: string): unknown {
  if (PROTOTYPE_KEYS.has(key)) return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
  return o[key];
}

// Small non-negative ints are by far the most common results of size(), indexes
// and counters; a table avoids allocating a new bigint for each.
const SMALL_INTS: bigint[] = [];
for (let i = 0; i < 1024; i++) SMALL_INTS.push(BigInt(i));

/** BigInt(n) for a safe integer n, without allocation for small values. */
export function intOf(n: number): bigint {
  return n >= 0 && n < 1024 ? SMALL_INTS[n]! : BigInt(n);
}
