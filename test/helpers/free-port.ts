// Loopback ports for members a test spawns. A test picks the port, then a child process
// binds it seconds later (etcd-ts boots in seconds on a loaded machine). A port the kernel
// handed out for listen(0) lies in its ephemeral range, which is also where it picks the
// local port of every outgoing connection on the machine: one of those can take the port
// in that gap, and the member then fails with EADDRINUSE (seen in CI, e.g. a fault-test
// member whose client port was taken while it was starting). Ports below the ephemeral
// range are never handed out implicitly, so only another explicit bind can take them.

import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Lowest port we pick: clear of well-known and registered service ports. */
const LOWEST = 10_000;
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
    // Random, so concurrent test processes rarely pick the same candidate; canBind
    // catches the ones that are taken.
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
      if (await canBind(port)) return port;
    }
  }
  return kernelPort();
}
