// role add | delete | get | list | grant-permission | revoke-permission, run and printed
// as etcdctl 3.4 does, including how --prefix and --from-key turn a key into a range.

import * as pb from '../../gen/etcdserverpb/rpc.js';
import { Permission_Type } from '../../gen/authpb/auth.js';
import { printAuth, roleGetFields, roleGetSimple } from './auth-printers.js';
import { goQuoteText } from '../../pkg/go-quote.js';
import { CtlError, ExitCode } from './errors.js';
import { prefixEnd } from './kv-commands.js';
import type { Session } from './session.js';
import { byteStringBytes } from '../../pkg/byte-string.js';

const ZERO = Buffer.from([0]);

function badArgs(msg: string): CtlError {
  return new CtlError(msg, ExitCode.BadArgs);
}

/** clientv3's StrToPermissionType: case-insensitive READ, WRITE, READWRITE. */
function permissionType(text: string): Permission_Type {
  const t = ({ READ: Permission_Type.READ, WRITE: Permission_Type.WRITE, READWRITE: Permission_Type.READWRITE } as Record<string, Permission_Type>)[text.toUpperCase()];
  if (t === undefined) throw badArgs(`invalid permission type: ${text}`);
  return t;
}

/**
 * etcdctl's permRange: [key, endkey) from the arguments and flags. An empty key means
 * "\0" (the first key), and with --prefix or --from-key the whole key space.
 */
function permRange(s: Session, args: string[]): { key: Buffer; rangeEnd: Buffer } {
  const prefix = s.flags.bool('prefix');
  const fromKey = s.flags.bool('from-key');
  const key = byteStringBytes(args[0]!);
  if (key.length === 0) {
    if (prefix && fromKey) throw badArgs('--from-key and --prefix flags are mutually exclusive');
    return { key: ZERO, rangeEnd: prefix || fromKey ? ZERO : Buffer.alloc(0) };
  }
  if (args.length === 1) {
    if (prefix) {
      if (fromKey) throw badArgs('--from-key and --prefix flags are mutually exclusive');
      return { key, rangeEnd: prefixEnd(key) };
    }
    return { key, rangeEnd: fromKey ? ZERO : Buffer.alloc(0) };
  }
  if (prefix) throw badArgs('unexpected endkey argument with --prefix flag');
  if (fromKey) throw badArgs('unexpected endkey argument with --from-key flag');
  return { key, rangeEnd: byteStringBytes(args[1]!) };
}

async function withClient<T>(s: Session, fn: (c: Awaited<ReturnType<Session['client']>>) => Promise<T>): Promise<T> {
  const c = await s.client();
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

export async function roleAddCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('role add command requires role name as its argument');
  const name = s.args[0]!;
  const { format } = s.printer();
  const resp = await withClient(s, (c) => s.call(() => c.roleAdd(name)));
  printAuth(s.out, format, { codec: pb.AuthRoleAddResponse, resp, simple: (o) => o.line(`Role ${name} created`), fields: 'header' });
  return ExitCode.Success;
}

export async function roleDeleteCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('role delete command requires role name as its argument');
  const name = s.args[0]!;
  const { format } = s.printer();
  const resp = await withClient(s, (c) => s.call(() => c.roleDelete(name)));
  printAuth(s.out, format, { codec: pb.AuthRoleDeleteResponse, resp, simple: (o) => o.line(`Role ${name} deleted`), fields: 'header' });
  return ExitCode.Success;
}

export async function roleGetCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('role get command requires role name as its argument');
  const name = s.args[0]!;
  const { format } = s.printer();
  const resp = await withClient(s, (c) => s.call(() => c.roleGet(name)));
  printAuth(s.out, format, { codec: pb.AuthRoleGetResponse, resp, simple: (o) => roleGetSimple(o, name, resp.perm), fields: (o) => roleGetFields(o, resp.perm) });
  return ExitCode.Success;
}

export async function roleListCommand(s: Session): Promise<number> {
  if (s.args.length !== 0) throw badArgs('role list command requires no arguments');
  const { format } = s.printer();
  const resp = await withClient(s, (c) => s.call(() => c.roleList()));
  printAuth(s.out, format, {
    codec: pb.AuthRoleListResponse,
    resp,
    simple: (o) => resp.roles.forEach((r) => o.line(r)),
    fields: (o) => o.line(`"Roles" :${resp.roles.map((r) => ` ${goQuoteText(r)}`).join('')}`),
  });
  return ExitCode.Success;
}

export async function roleGrantPermissionCommand(s: Session): Promise<number> {
  if (s.args.length < 3) throw badArgs('role grant command requires role name, permission type, and key [endkey] as its argument');
  const name = s.args[0]!;
  const permType = permissionType(s.args[1]!);
  const { key, rangeEnd } = permRange(s, s.args.slice(2));
  const { format } = s.printer();
  const resp = await withClient(s, (c) => s.call(() => c.roleGrantPermission({ name, perm: { permType, key, rangeEnd } })));
  printAuth(s.out, format, { codec: pb.AuthRoleGrantPermissionResponse, resp, simple: (o) => o.line(`Role ${name} updated`), fields: 'header' });
  return ExitCode.Success;
}

export async function roleRevokePermissionCommand(s: Session): Promise<number> {
  if (s.args.length < 2) throw badArgs('role revoke-permission command requires role name and key [endkey] as its argument');
  const name = s.args[0]!;
  const { key, rangeEnd } = permRange(s, s.args.slice(1));
  const { format } = s.printer();
  const resp = await withClient(s, (c) => s.call(() => c.roleRevokePermission({ role: name, key, rangeEnd })));
  const shownKey = s.args[1]!;
  const simple = (o: import('./output.js').Output) => {
    if (rangeEnd.length === 0) o.line(`Permission of key ${shownKey} is revoked from role ${name}`);
    else if (rangeEnd.equals(ZERO)) o.line(`Permission of range [${shownKey}, <open ended> is revoked from role ${name}`);
    else o.line(Buffer.concat([byteStringBytes(`Permission of range [${shownKey}, `), rangeEnd, byteStringBytes(`) is revoked from role ${name}`)]));
  };
  printAuth(s.out, format, { codec: pb.AuthRoleRevokePermissionResponse, resp, simple, fields: 'header' });
  return ExitCode.Success;
}
