// JSON <-> google.protobuf.Struct / Value / ListValue, in the object form
// @grpc/proto-loader produces (oneofs: true: each Value names its `kind`).
// Contexts arrive as Struct; the trace and `set` values leave as Value.

export interface ProtoValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: ProtoList;
}
export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}
export interface ProtoList {
  values?: ProtoValue[];
}

export function fromStruct(s: ProtoStruct): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = s.fields;
  if (fields) for (const k in fields) out[k] = fromValue(fields[k]!);
  return out;
}

export function fromValue(v: ProtoValue): unknown {
  switch (v.kind) {
    case 'stringValue':
      return v.stringValue;
    case 'numberValue':
      return v.numberValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return fromStruct(v.structValue ?? {});
    case 'listValue':
      return (v.listValue?.values ?? []).map(fromValue);
    default:
      // nullValue, or a Value with no kind set (which the JSON mapping also reads as null).
      return null;
  }
}

export function toValue(v: unknown): ProtoValue {
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'number':
      return { numberValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'bigint':
      return { stringValue: v.toString() };
    case 'object':
      if (v === null) return { nullValue: 'NULL_VALUE' };
      if (Array.isArray(v)) return { listValue: toList(v) };
      return { structValue: toStruct(v as Record<string, unknown>) };
    default:
      // undefined and functions: JSON.stringify drops them from objects; a lone one is null.
      return { nullValue: 'NULL_VALUE' };
  }
}

export function toList(a: readonly unknown[]): ProtoList {
  return { values: a.map(toValue) };
}

export function toStruct(o: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const k in o) if (o[k] !== undefined) fields[k] = toValue(o[k]);
  return { fields };
}
