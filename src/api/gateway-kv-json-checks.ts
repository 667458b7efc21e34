// The type checks etcd's grpc-gateway (golang/protobuf's jsonpb over encoding/json) applies
// to a KV request body before the request reaches the server, with the same error text:
// bytes must be standard base64 ("illegal base64 data at input byte 4"), 64-bit integers a
// number or a quoted number ("invalid character 'a' looking for beginning of value",
// "json: cannot unmarshal number 9223372036854775808 into Go value of type int64"), bools
// real bools, enum names known ("unknown value \"BAD\" for enum etcdserverpb.RangeRequest_SortOrder"),
// messages objects. Fields are checked in the order the .proto declares them, as jsonpb
// walks them; null leaves a field unset; unknown fields are ignored.

import { decodeFirstJsonValue, GoJsonSyntaxError, goQuoteChar } from './go-json-decode.js';

type FieldKind =
  | { kind: 'bytes' | 'bool' | 'int64' }
  | { kind: 'enum'; type: string; names: string[] }
  | { kind: 'message'; schema: () => Schema }
  | { kind: 'repeated'; schema: () => Schema };

type Schema = [field: string, kind: FieldKind][];

const BYTES: FieldKind = { kind: 'bytes' };
const BOOL: FieldKind = { kind: 'bool' };
const INT64: FieldKind = { kind: 'int64' };

export const RANGE_SCHEMA: Schema = [
  ['key', BYTES], ['range_end', BYTES], ['limit', INT64], ['revision', INT64],
  ['sort_order', { kind: 'enum', type: 'etcdserverpb.RangeRequest_SortOrder', names: ['NONE', 'ASCEND', 'DESCEND'] }],
  ['sort_target', { kind: 'enum', type: 'etcdserverpb.RangeRequest_SortTarget', names: ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] }],
  ['serializable', BOOL], ['keys_only', BOOL], ['count_only', BOOL],
  ['min_mod_revision', INT64], ['max_mod_revision', INT64], ['min_create_revision', INT64], ['max_create_revision', INT64],
];
export const PUT_SCHEMA: Schema = [
  ['key', BYTES], ['value', BYTES], ['lease', INT64], ['prev_kv', BOOL], ['ignore_value', BOOL], ['ignore_lease', BOOL],
];
export const DELETE_RANGE_SCHEMA: Schema = [['key', BYTES], ['range_end', BYTES], ['prev_kv', BOOL]];
const COMPARE_SCHEMA: Schema = [
  ['result', { kind: 'enum', type: 'etcdserverpb.Compare_CompareResult', names: ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] }],
  ['target', { kind: 'enum', type: 'etcdserverpb.Compare_CompareTarget', names: ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] }],
  ['key', BYTES], ['version', INT64], ['create_revision', INT64], ['mod_revision', INT64], ['value', BYTES], ['lease', INT64],
  ['range_end', BYTES],
];
const REQUEST_OP_SCHEMA: Schema = [
  ['request_range', { kind: 'message', schema: () => RANGE_SCHEMA }],
  ['request_put', { kind: 'message', schema: () => PUT_SCHEMA }],
  ['request_delete_range', { kind: 'message', schema: () => DELETE_RANGE_SCHEMA }],
  ['request_txn', { kind: 'message', schema: () => TXN_SCHEMA }],
];
export const TXN_SCHEMA: Schema = [
  ['compare', { kind: 'repeated', schema: () => COMPARE_SCHEMA }],
  ['success', { kind: 'repeated', schema: () => REQUEST_OP_SCHEMA }],
  ['failure', { kind: 'repeated', schema: () => REQUEST_OP_SCHEMA }],
];
export const COMPACTION_SCHEMA: Schema = [['revision', INT64], ['physical', BOOL]];

export class GatewayJsonError extends Error {}

/** encoding/json's name for a JSON value's type in "cannot unmarshal X into". */
function jsonTypeWord(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function cannot(v: unknown, goType: string): GatewayJsonError {
  return new GatewayJsonError(`json: cannot unmarshal ${jsonTypeWord(v)} into Go value of type ${goType}`);
}

const B64 = /[A-Za-z0-9+/]/;

/** Go's base64.StdEncoding.Decode: the offset of the first byte it refuses, or -1. */
export function goBase64ErrorOffset(s: string): number {
  let si = 0;
  const n = s.length;
  const nl = (c: string | undefined) => c === '\n' || c === '\r';
  while (si < n) {
    for (let j = 0; j < 4; j++) {
      if (si === n) {
        if (j === 0) return -1;
        return si - j;
      }
      const c = s[si++]!;
      if (B64.test(c)) continue;
      if (nl(c)) {
        j--;
        continue;
      }
      if (c !== '=') return si - 1;
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < n && nl(s[si])) si++;
        if (si === n) return n;
        if (s[si] !== '=') return si - 1;
        si++;
      }
      while (si < n && nl(s[si])) si++;
      return si < n ? si : -1;
    }
  }
  return -1;
}

/** json.Unmarshal of the text inside a quoted int64 (jsonpb strips the quotes first). */
function checkInt64Text(text: string): void {
  const trimmed = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (trimmed === '') throw new GatewayJsonError('unexpected end of JSON input');
  const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(trimmed)?.[0];
  if (num !== undefined && num.length === trimmed.length) {
    const outOfRange = !/^-?\d+$/.test(num) || BigInt(num) > 9223372036854775807n || BigInt(num) < -9223372036854775808n;
    if (outOfRange) throw new GatewayJsonError(`json: cannot unmarshal number ${num} into Go value of type int64`);
    return;
  }
  if (num !== undefined) throw new GatewayJsonError(`invalid character ${goQuoteChar(trimmed.charCodeAt(num.length))} after top-level value`);
  let v: unknown;
  try {
    v = decodeFirstJsonValue(Buffer.from(trimmed, 'utf8'));
  } catch (e) {
    if (!(e instanceof GoJsonSyntaxError)) throw e;
    throw new GatewayJsonError(e.message === 'unexpected EOF' ? 'unexpected end of JSON input' : e.message);
  }
  if (v === null) return;
  throw cannot(v, 'int64');
}

function checkField(v: unknown, k: FieldKind): void {
  if (v === null) return; // jsonpb leaves a null field unset
  switch (k.kind) {
    case 'bytes': {
      if (typeof v !== 'string') throw cannot(v, '[]uint8');
      const at = goBase64ErrorOffset(v);
      if (at >= 0) throw new GatewayJsonError(`illegal base64 data at input byte ${at}`);
      return;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw cannot(v, 'bool');
      return;
    case 'int64':
      if (typeof v === 'string') return checkInt64Text(v);
      if (typeof v === 'number') return checkInt64Text(String(v));
      throw cannot(v, 'int64');
    case 'enum':
      if (typeof v === 'string' && !k.names.includes(v)) throw new GatewayJsonError(`unknown value ${JSON.stringify(v)} for enum ${k.type}`);
      return;
    case 'message':
      return checkMessage(v, k.schema());
    case 'repeated':
      if (!Array.isArray(v)) throw cannot(v, '[]json.RawMessage');
      for (const item of v) checkMessage(item, k.schema());
      return;
  }
}

/** Throws GatewayJsonError with jsonpb's text when `json` would not unmarshal into the message. */
export function checkMessage(json: unknown, schema: Schema): void {
  if (json === null || json === undefined) return;
  if (typeof json !== 'object' || Array.isArray(json)) throw cannot(json, 'map[string]json.RawMessage');
  const obj = json as Record<string, unknown>;
  for (const [name, kind] of schema) {
    if (name in obj) checkField(obj[name], kind);
  }
}

/** A gateway route whose body is first held to jsonpb's checks for `schema`. */
export function checkedRoute<R extends { check?: (json: unknown) => void }>(route: R, schema: Schema): R {
  return { ...route, check: (json: unknown) => checkMessage(json, schema) };
}
