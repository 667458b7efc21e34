// Which local process owns the other end of a loopback TCP connection (Linux /proc).
//
// Every member dials every other member through the same advertised peer URL, so a proxy
// in front of a member's peer port cannot tell senders apart by address. It can by asking
// the kernel: the connecting socket's local port appears in /proc/net/tcp{,6} with its
// inode, and exactly one process has that inode among its open fds. This works for any
// member binary (real etcd, etcd-ts) without parsing the peer protocol.

import { readdir, readFile, readlink } from 'node:fs/promises';

const hex4 = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');

/** The inode of the socket with local port `port` connected to remote port `remotePort`. */
export async function socketInode(port: number, remotePort: number): Promise<string | undefined> {
  const local = `:${hex4(port)}`;
  const remote = `:${hex4(remotePort)}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] local "ADDR:PORT", cols[2] remote, cols[9] inode.
      if (cols.length < 10) continue;
      if (cols[1]!.endsWith(local) && cols[2]!.endsWith(remote) && cols[9] !== '0') return cols[9];
    }
  }
  return undefined;
}

/** Of `pids`, the one holding socket `inode` open. */
export async function pidHoldingSocket(inode: string, pids: readonly number[]): Promise<number | undefined> {
  const needle = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      try {
        if ((await readlink(`/proc/${pid}/fd/${fd}`)) === needle) return pid;
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

/**
 * The pid (among `pids`) that opened the connection which arrived at our `localPort` from
 * loopback port `remotePort`: the socket on its side has those ports the other way round.
 */
export async function connectingPid(localPort: number, remotePort: number, pids: readonly number[]): Promise<number | undefined> {
  const inode = await socketInode(remotePort, localPort);
  return inode === undefined ? undefined : pidHoldingSocket(inode, pids);
}
