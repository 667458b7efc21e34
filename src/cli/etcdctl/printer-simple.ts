// etcdctl's output formats for KV responses: simple, fields and json, written
// byte-for-byte as etcdctl 3.4 writes them. (etcdctl refuses -w table for KV commands.)

import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { DeleteRangeResponse, PutResponse, RangeResponse, TxnResponse, type ResponseHeader } from '../../gen/etcdserverpb/rpc.js';
import { goJson } from './go-json.js';
import { hexBytes } from './format.js';

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table' | 'protobuf';

export interface PrintOptions {
  format: OutputFormat;
  hex: boolean;
}

/** Go's %q for a byte string: printable UTF-8 kept, everything else escaped. */
export function goQuote(b: Uint8Array): string {
  let out = '"';
  const s = Buffer.from(b);
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c < 0x80) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
      else if (c === 0x07) out += '\\a';
      else if (c === 0x08) out += '\\b';
      else if (c === 0x0c) out += '\\f';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x0b) out += '\\v';
      else out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    const seq = len > 0 ? s.subarray(i, i + len) : undefined;
    const text = seq && seq.length === len ? seq.toString('utf8') : '\ufffd';
    if (!text.includes('\ufffd') && len > 0) {
      out += text;
      i += len;
    } else {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out + '"';
}

/** Collects a command's output as bytes: keys and values are written raw, as Go writes them. */
export class Output {
  private readonly chunks: Buffer[] = [];
  line(s: string | Uint8Array = ''): void {
    this.chunks.push(typeof s === 'string' ? Buffer.from(s) : Buffer.from(s), NEWLINE);
  }
  raw(s: string): void {
    this.chunks.push(Buffer.from(s));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const NEWLINE = Buffer.from('\n');

function bytesText(b: Uint8Array, hex: boolean): string | Uint8Array {
  return hex ? hexBytes(b) : b;
}

export function fieldsHeader(out: Output, h: ResponseHeader | undefined): void {
  out.line(`"ClusterID" : ${h?.clusterId ?? 0n}`);
  out.line(`"MemberID" : ${h?.memberId ?? 0n}`);
  out.line(`"Revision" : ${h?.revision ?? 0n}`);
  out.line(`"RaftTerm" : ${h?.raftTerm ?? 0n}`);
}

function fieldsKv(out: Output, prefix: string, kv: KeyValue): void {
  out.line(`"${prefix}Key" : ${goQuote(kv.key)}`);
  out.line(`"${prefix}CreateRevision" : ${kv.createRevision}`);
  out.line(`"${prefix}ModRevision" : ${kv.modRevision}`);
  out.line(`"${prefix}Version" : ${kv.version}`);
  out.line(`"${prefix}Value" : ${goQuote(kv.value)}`);
  out.line(`"${prefix}Lease" : ${kv.lease}`);
}

function simpleKv(out: Output, kv: KeyValue, o: PrintOptions, valueOnly = false): void {
  if (!valueOnly) out.line(bytesText(kv.key, o.hex));
  out.line(bytesText(kv.value, o.hex));
}

export function printPut(out: Output, r: PutResponse, o: PrintOptions): void {
  if (o.format === 'json') return out.line(goJson(PutResponse, r));
  if (o.format === 'fields') {
    fieldsHeader(out, r.header);
    if (r.prevKv) fieldsKv(out, 'Prev', r.prevKv);
    return;
  }
  out.line('OK');
  if (r.prevKv) simpleKv(out, r.prevKv, o);
}

export function printGet(out: Output, r: RangeResponse, o: PrintOptions, valueOnly = false): void {
  if (o.format === 'json') return out.line(goJson(RangeResponse, r));
  if (o.format === 'fields') {
    fieldsHeader(out, r.header);
    for (const kv of r.kvs) fieldsKv(out, '', kv);
    out.line(`"More" : ${r.more}`);
    out.line(`"Count" : ${r.count}`);
    return;
  }
  for (const kv of r.kvs) simpleKv(out, kv, o, valueOnly);
}

export function printDel(out: Output, r: DeleteRangeResponse, o: PrintOptions): void {
  if (o.format === 'json') return out.line(goJson(DeleteRangeResponse, r));
  if (o.format === 'fields') {
    fieldsHeader(out, r.header);
    out.line(`"Deleted" : ${r.deleted}`);
    for (const kv of r.prevKvs) fieldsKv(out, 'Prev', kv);
    return;
  }
  out.line(String(r.deleted));
  for (const kv of r.prevKvs) simpleKv(out, kv, o);
}

export function printTxn(out: Output, r: TxnResponse, o: PrintOptions): void {
  if (o.format === 'json') return out.line(goJson(TxnResponse, r));
  if (o.format === 'fields') {
    fieldsHeader(out, r.header);
    out.line(`"Succeeded" : ${r.succeeded}`);
    for (const op of r.responses) {
      if (op.responseDeleteRange) printDel(out, op.responseDeleteRange, o);
      else if (op.responsePut) printPut(out, op.responsePut, o);
      else if (op.responseRange) printGet(out, op.responseRange, o);
    }
    return;
  }
  out.line(r.succeeded ? 'SUCCESS' : 'FAILURE');
  for (const op of r.responses) {
    out.line('');
    if (op.responseDeleteRange) printDel(out, op.responseDeleteRange, o);
    else if (op.responsePut) printPut(out, op.responsePut, o);
    else if (op.responseRange) printGet(out, op.responseRange, o);
  }
}
