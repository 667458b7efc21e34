// user add | delete | get | list | passwd | grant-role | revoke-role, run and printed as
// etcdctl 3.4 does. Passwords come from `name:password`, --new-user-password, a prompt
// (twice, compared), or with --interactive=false the first word of stdin.

import * as pb from '../../gen/etcdserverpb/rpc.js';
import { printAuth, roleGetFields, roleGetSimple } from './auth-printers.js';
import { CtlError, ExitCode } from './errors.js';
import { askPassword, scanWord } from './password-prompt.js';
import type { Session } from './session.js';

function badArgs(msg: string): CtlError {
  return new CtlError(msg, ExitCode.BadArgs);
}

/** etcdctl's readPasswordInteractive: asks twice and insists on the same non-empty answer. */
function readPasswordInteractive(s: Session, name: string): string {
  const first = askPassword(s, `Password of ${name}: `);
  if (first.length === 0) throw badArgs('empty password');
  const second = askPassword(s, `Type password of ${name} again for confirmation: `);
  if (first !== second) throw badArgs('given passwords are different');
  return first;
}

function readPassword(s: Session, name: string): string {
  return s.flags.bool('interactive') ? readPasswordInteractive(s, name) : scanWord();
}

export async function userAddCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('user add command requires user name as its argument');
  const arg = s.args[0]!;
  let user = arg;
  let password = '';
  const noPassword = s.flags.bool('no-password');
  if (!noPassword) {
    const fromFlag = s.flags.string('new-user-password');
    if (fromFlag !== '') password = fromFlag;
    else {
      const colon = arg.indexOf(':');
      if (colon < 0) password = readPassword(s, arg);
      else {
        user = arg.slice(0, colon);
        password = arg.slice(colon + 1);
        if (user.length === 0) throw badArgs('empty user name is not allowed');
      }
    }
  }
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userAdd({ name: user, password, options: { noPassword } }));
    printAuth(s.out, format, { codec: pb.AuthUserAddResponse, resp, simple: (o) => o.line(`User ${user} created`), fields: 'header' });
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function userDeleteCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('user delete command requires user name as its argument');
  const name = s.args[0]!;
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userDelete(name));
    printAuth(s.out, format, { codec: pb.AuthUserDeleteResponse, resp, simple: (o) => o.line(`User ${name} deleted`), fields: 'header' });
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function userGetCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('user get command requires user name as its argument');
  const name = s.args[0]!;
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userGet(name));
    if (s.flags.bool('detail')) {
      s.out.line(`User: ${name}`);
      for (const role of resp.roles) {
        s.out.line();
        const r = await s.call(() => c.roleGet(role));
        printAuth(s.out, format, { codec: pb.AuthRoleGetResponse, resp: r, simple: (o) => roleGetSimple(o, role, r.perm), fields: (o) => roleGetFields(o, r.perm) });
      }
    } else {
      printAuth(s.out, format, { codec: pb.AuthUserGetResponse, resp, simple: (o) => o.line(`User: ${name}\nRoles:${resp.roles.map((r) => ` ${r}`).join('')}`) });
    }
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function userListCommand(s: Session): Promise<number> {
  if (s.args.length !== 0) throw badArgs('user list command requires no arguments');
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userList());
    printAuth(s.out, format, { codec: pb.AuthUserListResponse, resp, simple: (o) => resp.users.forEach((u) => o.line(u)) });
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function userPasswdCommand(s: Session): Promise<number> {
  if (s.args.length !== 1) throw badArgs('user passwd command requires user name as its argument');
  const name = s.args[0]!;
  const password = readPassword(s, name);
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userChangePassword(name, password));
    printAuth(s.out, format, { codec: pb.AuthUserChangePasswordResponse, resp, simple: (o) => o.line('Password updated'), fields: 'header' });
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function userGrantRoleCommand(s: Session): Promise<number> {
  if (s.args.length !== 2) throw badArgs('user grant command requires user name and role name as its argument');
  const [user, role] = s.args as [string, string];
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userGrantRole(user, role));
    printAuth(s.out, format, { codec: pb.AuthUserGrantRoleResponse, resp, simple: (o) => o.line(`Role ${role} is granted to user ${user}`), fields: 'header' });
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function userRevokeRoleCommand(s: Session): Promise<number> {
  if (s.args.length !== 2) throw badArgs('user revoke-role requires user name and role name as its argument');
  const [user, role] = s.args as [string, string];
  const { format } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.userRevokeRole(user, role));
    printAuth(s.out, format, { codec: pb.AuthUserRevokeRoleResponse, resp, simple: (o) => o.line(`Role ${role} is revoked from user ${user}`), fields: 'header' });
  } finally {
    c.close();
  }
  return ExitCode.Success;
}
