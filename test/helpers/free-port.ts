// Loopback ports for members a test spawns. A test picks the port, then a child process
// binds it seconds later (etcd-ts boots in seconds on a loaded machine). A port the kernel
// handed out for listen(0) lies in its ephemeral range, which is also where it picks the
// local port of every outgoing connection on the machine: one of those can take the port
// in that gap, and the member then fails with EADDRINUSE (seen in CI, e.g. a fault-test
// member whose client port was taken while it was starting). Ports below the ephemeral
// range are never handed out implicitly, so only another explicit bind can take them.
// Test files run as separate processes side by side, and a test may stop a member and
// start another on the same ports (to compare ids with real etcd): in that gap another
// test process could pick the same free port. Each pick is claimed with a file under the
// temp dir, created exclusively and kept until the process exits, so no two test
// processes alive at once are handed the same port.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../../src/pkg/pid-alive.js';
import net from 'node:net';

/** Lowest port we pick: clear of well-known and registered service ports. */
const LOWEST = 10_000;
/**
 * Ports at or above LOWEST that fetch() refuses to connect to (the WHATWG "bad port" list):
 * a member there looks dead to waitReady's /health poll.
 */
const FETCH_BLOCKED = new Set([10_080]);
/** Fewest candidates worth picking from; with fewer, fall back to the kernel's choice. */
const MIN_RANGE = 1_000;

/** The kernel's ephemeral port range (Linux), or the IANA default elsewhere. */
function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low: low!, high: high! };
  } catch {
    // not Linux
  }
  return { low: 49_152, high: 65_535 };
}

const CLAIMS_DIR = join(tmpdir(), 'etcd-ts-test-ports');
const claimed: string[] = [];
process.once('exit', () => {
  for (const f of claimed) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
});

/** Claims `port` for this process unless a live process holds the claim; a dead holder's claim is taken over. */
function claim(port: number): boolean {
  mkdirSync(CLAIMS_DIR, { recursive: true });
  const file = join(CLAIMS_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      claimed.push(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // removed meanwhile: try again
    }
    // A half-written claim (no pid yet) belongs to a live process writing it.
    if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid || pidAlive(holder)) return false;
    try {
      unlinkSync(file);
    } catch {
      // another process took the stale claim over first; the exclusive create decides
    }
  }
  return false;
}

/** Whether `port` can be bound on loopback right now (released again before returning). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** What listen(0) gets: free now, but in the ephemeral range. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A loopback port that is free now and that no outgoing connection will take meanwhile. */
export async function freePort(): Promise<number> {
  const { low } = ephemeralRange();
  const high = Math.min(low, 65_536);
  if (high - LOWEST >= MIN_RANGE) {
    // Random, so concurrent test processes seldom contend for one claim; canBind skips
    // ports something outside the tests has bound.
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
      if (FETCH_BLOCKED.has(port)) continue;
      if (claim(port) && (await canBind(port))) return port;
    }
  }
  return kernelPort();
}
