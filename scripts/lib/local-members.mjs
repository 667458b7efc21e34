// What the measuring scripts (bench.mjs, cpu-per-op.mjs, lease-forward-cpu.mjs) share: their
// flag parsing, free loopback ports, a member's command line, a process's CPU ticks and one
// sample of a member's /metrics.

import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Fills `opt` from `--name value` / `--name=value` arguments; a number default makes the
 * value a number. `switches` maps value-less flags (e.g. `--no-rss`) to what they set.
 */
export function parseFlags(opt, argv = process.argv.slice(2), switches = {}) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in switches) {
      switches[a](opt);
      continue;
    }
    if (!a.startsWith('--')) continue;
    const [k, v] = a.includes('=') ? a.slice(2).split('=') : [a.slice(2), argv[++i]];
    if (!(k in opt)) throw new Error(`unknown flag --${k}`);
    opt[k] = typeof opt[k] === 'number' ? Number(v) : v;
  }
  return opt;
}

/** A loopback port nothing listens on right now. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether the member at `url` answers /health with health "true" within 2 s. */
export async function healthy(url) {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return (await r.json()).health === 'true';
  } catch {
    return false;
  }
}

/**
 * The value of an unlabelled sample (etcd_server_is_leader, say) in the member's /metrics at
 * `url`; NaN when it is missing or the member does not answer (within `timeoutMs`, if given).
 */
export async function metricSample(url, name, timeoutMs) {
  try {
    const res = await fetch(`${url}/metrics`, timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) });
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(await res.text());
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of a process, in clock ticks (10 ms on Linux), from /proc/<pid>/stat. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // fields 14 and 15
}

/**
 * The flags a loopback member is started with, the same for real etcd and etcd-ts:
 * `ports` its {client, peer}, `initialCluster` every member's name=peer URL; `token` is
 * left at etcd's default when absent.
 */
export function memberArgs({ name, dataDir, ports, initialCluster, token }) {
  return [
    '--name', name, '--data-dir', dataDir,
    '--listen-client-urls', `http://127.0.0.1:${ports.client}`, '--advertise-client-urls', `http://127.0.0.1:${ports.client}`,
    '--listen-peer-urls', `http://127.0.0.1:${ports.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${ports.peer}`,
    '--initial-cluster', initialCluster, '--initial-cluster-state', 'new',
    ...(token ? ['--initial-cluster-token', token] : []),
    '--log-level', 'error',
  ];
}
