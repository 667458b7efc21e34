// member add, remove, update and promote, run and printed as etcdctl 3.4 does. IDs are
// hexadecimal on the command line; the confirmation lines print them with Go's %16x
// (space-padded to 16), unlike member list's %x.

import type { MemberAddResponse } from '../../gen/etcdserverpb/rpc.js';
import { CtlError, ExitCode } from './errors.js';
import { parseGoInt } from './flags.js';
import { display } from './printer.js';
import type { Session } from './session.js';

function memberId(s: Session): bigint {
  if (s.args.length !== 1) throw new CtlError('member ID is not provided', ExitCode.BadArgs);
  const id = parseGoInt(s.args[0]!, true, 16);
  if (typeof id === 'string') throw new CtlError(`bad member ID arg (${id}), expecting ID in Hex`, ExitCode.BadArgs);
  return id;
}

const URL_SCHEMES = ['http:', 'https:', 'unix:', 'unixs:'];

/** etcd's types.NewURLs check, which etcdctl applies before asking the server. */
function peerURLs(s: Session): string[] {
  const text = s.flags.string('peer-urls');
  if (text === '') throw new CtlError('member peer urls not provided', ExitCode.BadArgs);
  const urls = text.split(',');
  for (const u of urls) {
    let scheme = '';
    try {
      scheme = new URL(u).protocol;
    } catch {
      scheme = '';
    }
    if (!URL_SCHEMES.includes(scheme)) throw new CtlError(`URL scheme must be http, https, unix, or unixs: ${u}`, ExitCode.Error);
  }
  return urls;
}

export async function memberAddCommand(s: Session): Promise<number> {
  if (s.args.length < 1) throw new CtlError('member name not provided', ExitCode.BadArgs);
  if (s.args.length > 1) {
    let msg = 'too many arguments';
    for (const a of s.args) if (a.toLowerCase().startsWith('http')) msg += `, did you mean --peer-urls=${a}`;
    throw new CtlError(msg, ExitCode.BadArgs);
  }
  const name = s.args[0]!;
  const urls = peerURLs(s);
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    const resp = await s.call(() => c.memberAdd(urls, s.flags.bool('learner')));
    display(printer, format, 'memberAdd', resp);
    if (format === 'simple') await printInitialCluster(s, resp, name, urls);
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

/** The environment for starting the new member, as etcdctl prints it after a simple add. */
async function printInitialCluster(s: Session, resp: MemberAddResponse, name: string, urls: string[]): Promise<void> {
  const c = await s.client();
  try {
    const list = await s.call(() => c.memberList());
    const newId = resp.member?.ID;
    const conf = list.members.flatMap((m) => m.peerURLs.map((u) => `${m.ID === newId ? name : m.name}=${u}`));
    s.out.line();
    s.out.line(`ETCD_NAME=${JSON.stringify(name)}`);
    s.out.line(`ETCD_INITIAL_CLUSTER=${JSON.stringify(conf.join(','))}`);
    s.out.line(`ETCD_INITIAL_ADVERTISE_PEER_URLS=${JSON.stringify(urls.join(','))}`);
    s.out.line('ETCD_INITIAL_CLUSTER_STATE="existing"');
  } finally {
    c.close();
  }
}

export async function memberRemoveCommand(s: Session): Promise<number> {
  const id = memberId(s);
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    display(printer, format, 'memberRemove', id, await s.call(() => c.memberRemove(id)));
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function memberUpdateCommand(s: Session): Promise<number> {
  const id = memberId(s);
  const urls = peerURLs(s);
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    display(printer, format, 'memberUpdate', id, await s.call(() => c.memberUpdate(id, urls)));
  } finally {
    c.close();
  }
  return ExitCode.Success;
}

export async function memberPromoteCommand(s: Session): Promise<number> {
  const id = memberId(s);
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    display(printer, format, 'memberPromote', id, await s.call(() => c.memberPromote(id)));
  } finally {
    c.close();
  }
  return ExitCode.Success;
}
