// How etcdctl 3.4 prints the user, role and auth commands' answers in each -w format:
// simple sentences, Go's JSON of the response, the fields printer's header lines (plus
// permissions and role names where it has them), or the protobuf bytes. The table
// format has none of them, nor fields for `user get` and `user list`.

import * as pb from '../../gen/etcdserverpb/rpc.js';
import { Permission_Type, type Permission } from '../../gen/authpb/auth.js';
import { goQuote } from '../../pkg/go-quote.js';
import { prefixEnd } from './kv-commands.js';
import { notSupported, type OutputFormat } from './printer.js';
import { goJson, type MessageJson } from './printer-json.js';
import type { Output } from './output.js';

interface MessageCodec<T> extends MessageJson<T> {
  encode(message: T): { finish(): Uint8Array };
}

export interface AuthPrintSpec<T> {
  codec: MessageCodec<T>;
  resp: T;
  simple: (out: Output) => void;
  /** Extra lines after the header in the fields format; absent: fields is refused. */
  fields?: ((out: Output) => void) | 'header';
}

function fieldsHeader(out: Output, h: pb.ResponseHeader | undefined): void {
  out.line(`"ClusterID" : ${h?.clusterId ?? 0n}`);
  out.line(`"MemberID" : ${h?.memberId ?? 0n}`);
  out.line(`"Revision" : ${h?.revision ?? 0n}`);
  out.line(`"RaftTerm" : ${h?.raftTerm ?? 0n}`);
}

export function printAuth<T extends { header?: pb.ResponseHeader | undefined }>(out: Output, format: OutputFormat, spec: AuthPrintSpec<T>): void {
  switch (format) {
    case 'simple':
      spec.simple(out);
      return;
    case 'json':
      out.line(goJson(spec.codec, spec.resp));
      return;
    case 'protobuf':
      out.raw(spec.codec.encode(spec.resp).finish());
      return;
    case 'fields':
      if (!spec.fields) throw notSupported(format);
      fieldsHeader(out, spec.resp.header);
      if (spec.fields !== 'header') spec.fields(out);
      return;
    default:
      throw notSupported(format);
  }
}

const PERM_NAMES: Record<number, string> = { [Permission_Type.READ]: 'READ', [Permission_Type.WRITE]: 'WRITE', [Permission_Type.READWRITE]: 'READWRITE' };

/** The fields printer's lines for a role's permissions. */
export function roleGetFields(out: Output, perms: Permission[]): void {
  for (const p of perms) {
    out.line(`"PermType" :  ${PERM_NAMES[p.permType] ?? String(p.permType)}`);
    out.line(`"Key" : ${goQuote(p.key)}`);
    out.line(`"RangeEnd" : ${goQuote(p.rangeEnd)}`);
  }
}

/** The simple printer's `role get`: readable grants, then writable ones. */
export function roleGetSimple(out: Output, role: string, perms: Permission[]): void {
  out.line(`Role ${role}`);
  const section = (title: string, kinds: Permission_Type[]) => {
    out.line(title);
    for (const p of perms) {
      if (!kinds.includes(p.permType)) continue;
      const key = Buffer.from(p.key);
      const end = Buffer.from(p.rangeEnd);
      if (end.length === 0) {
        out.line(Buffer.concat([Buffer.from('\t'), key]));
        continue;
      }
      const parts: Buffer[] = [Buffer.from('\t['), key];
      if (end.length === 1 && end[0] === 0) parts.push(Buffer.from(', <open ended>'));
      else parts.push(Buffer.from(', '), end, Buffer.from(')'));
      if (prefixEnd(key).equals(end)) parts.push(Buffer.from(' (prefix '), key, Buffer.from(')'));
      out.line(Buffer.concat(parts));
    }
  };
  section('KV Read:', [Permission_Type.READ, Permission_Type.READWRITE]);
  section('KV Write:', [Permission_Type.WRITE, Permission_Type.READWRITE]);
}

export { pb };
