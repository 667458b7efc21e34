// Probing between members, as etcd's peer transport does it: every member answers GET
// /raft/probing on its peer port with its clock, and GETs that path on every peer every
// PROBE_INTERVAL_MS, once for each of etcd's two peer round trippers (the raft-message one
// and the snapshot one; etcd-ts sends both over the same peer TLS options, peer-http.ts).
// Each round tripper keeps its own status for the peer (healthy or not, the last error, a
// smoothed round-trip time, the clock difference) and a monitor that reads it 5 s after
// the peer is added, then every 5 s while the last probe failed and every 30 s while it
// succeeded. Each reading feeds etcd_network_peer_round_trip_time_seconds with the
// smoothed round-trip time and logs etcd's two warnings: "prober detected unhealthy status"
// and "prober found high clock drift" (the peer's clock more than 1 s behind ours).

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { formatGoDuration } from '../pkg/go-strconv.js';
import { goDialError, requestPeer, type PeerClientTls } from './peer-http.js';
import { peerRoundTripSeconds } from './peer-metrics.js';

export const PROBING_PATH = '/raft/probing';
/** etcd probes a second before its 5 s connection read timeout would cut an idle connection. */
export const PROBE_INTERVAL_MS = 4_000;
const FIRST_CHECK_MS = 5_000;
const UNHEALTHY_CHECK_MS = 5_000;
const HEALTHY_CHECK_MS = 30_000;
/** A probe that has no answer after this long failed (etcd's stream round tripper read timeout). */
const PROBE_TIMEOUT_MS = 5_000;
/** Weight of a new round-trip sample in the smoothed round-trip time. */
const SRTT_WEIGHT = 0.125;
const MAX_CLOCK_DRIFT_MS = 1_000;
/** Go's zero time.Time, what a probe answer without "Now" decodes to. */
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

export const ROUND_TRIPPERS = ['ROUND_TRIPPER_SNAPSHOT', 'ROUND_TRIPPER_RAFT_MESSAGE'] as const;
export type RoundTripperName = (typeof ROUND_TRIPPERS)[number];

export type PeerWarn = (msg: string, fields: Record<string, unknown>) => void;

/** One probe's outcome: the peer's clock and how long the answer took, or Go's error text. */
export type ProbeOutcome = { ok: true; rttMs: number; peerNowMs: number } | { ok: false; error: string | undefined };

/** Sends one probe to `endpoint`; `signal` aborts it when the prober stops. */
export type SendProbe = (endpoint: string, signal: AbortSignal) => Promise<ProbeOutcome>;

// ---- the answering side ----

/** time.Time's JSON form (RFC 3339 with trailing zeros of the fraction dropped), in local time as Go writes it. */
export function goJsonTime(ms: number): string {
  const offsetMin = -new Date(ms).getTimezoneOffset();
  const [whole, fraction = ''] = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1).split('.');
  const digits = fraction.replace(/0+$/, '');
  const local = digits === '' ? whole! : `${whole!}.${digits}`;
  if (offsetMin === 0) return `${local}Z`;
  const abs = Math.abs(offsetMin);
  return `${local}${offsetMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Answers a probe as etcd does: any method, a JSON line, and Go's sniffed content type. */
export function serveProbing(res: http.ServerResponse, now: () => number = Date.now): void {
  const body = `${JSON.stringify({ OK: true, Now: goJsonTime(now()) })}\n`;
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// ---- the probing side ----

/** Probes over HTTP(S) with the member's peer TLS options, reporting failures in Go's words. */
export function httpProbe(tls: PeerClientTls | undefined): SendProbe {
  return (endpoint, signal) =>
    new Promise((resolve) => {
      const url = new URL(endpoint);
      const start = performance.now();
      const req = requestPeer(url, { method: 'GET', signal, timeout: PROBE_TIMEOUT_MS }, tls);
      let done = false;
      const finish = (o: ProbeOutcome): void => {
        if (done) return;
        done = true;
        resolve(o);
      };
      req.on('timeout', () => {
        const s = req.socket;
        const from = s?.localAddress !== undefined ? `${s.localAddress}:${s.localPort}->` : '';
        req.destroy(new Error(`read tcp ${from}${url.host}: i/o timeout`));
      });
      req.on('error', (err) => finish({ ok: false, error: goDialError(err, url) }));
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          const status = `${res.statusCode} ${http.STATUS_CODES[res.statusCode ?? 0] ?? ''}`.trimEnd();
          finish({ ok: false, error: `got unexpected HTTP status code ${status} from ${endpoint}` });
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('error', (err) => finish({ ok: false, error: err.message }));
        res.on('end', () => finish(decodeProbeAnswer(body, performance.now() - start)));
      });
      req.end();
    });
}

function decodeProbeAnswer(body: string, rttMs: number): ProbeOutcome {
  if (body.trim() === '') return { ok: false, error: 'EOF' };
  let answer: { OK?: unknown; Now?: unknown };
  try {
    answer = JSON.parse(body) as { OK?: unknown; Now?: unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  // A well-formed answer that is not OK fails without an error, as in etcd.
  if (answer.OK !== true) return { ok: false, error: undefined };
  const peerNowMs = typeof answer.Now === 'string' ? Date.parse(answer.Now) : GO_ZERO_TIME_MS;
  return { ok: true, rttMs, peerNowMs: Number.isNaN(peerNowMs) ? GO_ZERO_TIME_MS : peerNowMs };
}

export interface ProberDeps {
  send: SendProbe;
  warn?: PeerWarn;
  /** Wall clock (ms since epoch), against which the peer's clock is compared. */
  now?: () => number;
}

/** One round tripper's probing of one peer: its probe loop, its status, and its monitor. */
export class PeerProber {
  private healthy = false;
  private error: string | undefined;
  private srttMs = 0;
  private clockDiffMs = 0;
  /** Rotates to the next peer URL after a failure, as etcd does. */
  private pinned = 0;
  private inflight: AbortController | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly endpoints: string[];
  private readonly now: () => number;

  constructor(
    private readonly peerHex: string,
    urls: string[],
    private readonly roundTripper: RoundTripperName,
    private readonly deps: ProberDeps,
  ) {
    // Appended to the URL as written, as etcd does.
    this.endpoints = urls.map((u) => u + PROBING_PATH);
    this.now = deps.now ?? Date.now;
  }

  /** Starts the probe loop and the monitor; both run on unref'd timers. */
  start(): this {
    this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.probeTimer.unref();
    this.scheduleCheck(FIRST_CHECK_MS);
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probeTimer);
    clearTimeout(this.checkTimer);
    this.inflight?.abort();
  }

  /** Sends one probe and records its outcome; a probe still unanswered skips the tick, like Go's ticker. */
  async probe(): Promise<void> {
    if (this.inflight || this.stopped || this.endpoints.length === 0) return;
    const ctl = new AbortController();
    this.inflight = ctl;
    const endpoint = this.endpoints[this.pinned % this.endpoints.length]!;
    const outcome = await this.deps.send(endpoint, ctl.signal);
    this.inflight = undefined;
    if (this.stopped) return;
    if (outcome.ok) {
      this.healthy = true;
      this.error = undefined;
      this.srttMs = (1 - SRTT_WEIGHT) * this.srttMs + SRTT_WEIGHT * outcome.rttMs;
      // Half the round trip is how long the peer's clock reading took to reach us.
      this.clockDiffMs = this.now() - outcome.peerNowMs - this.srttMs / 2;
    } else {
      this.healthy = false;
      this.error = outcome.error;
      this.pinned = (this.pinned + 1) % this.endpoints.length;
    }
  }

  /** Reads the status as etcd's monitor does; returns the pause before the next reading. */
  check(): number {
    const common = {
      'round-tripper-name': this.roundTripper,
      'remote-peer-id': this.peerHex,
    };
    // Like zap.Error(nil): no error field while the last probe did not fail with one.
    const error = this.error !== undefined ? { error: this.error } : {};
    if (!this.healthy) this.deps.warn?.('prober detected unhealthy status', { ...common, rtt: formatGoDuration(this.srttMs), ...error });
    if (this.clockDiffMs > MAX_CLOCK_DRIFT_MS) {
      this.deps.warn?.('prober found high clock drift', { ...common, 'clock-drift': formatGoDuration(this.clockDiffMs), rtt: formatGoDuration(this.srttMs), ...error });
    }
    peerRoundTripSeconds.observe({ To: this.peerHex }, this.srttMs / 1000);
    return this.healthy ? HEALTHY_CHECK_MS : UNHEALTHY_CHECK_MS;
  }

  private scheduleCheck(ms: number): void {
    this.checkTimer = setTimeout(() => {
      if (!this.stopped) this.scheduleCheck(this.check());
    }, ms);
    // Probing a peer must never keep a stopping member's process alive.
    this.checkTimer.unref();
  }
}

/** Both round trippers' probers for one peer. */
export function probePeer(peerHex: string, urls: string[], deps: ProberDeps): PeerProber[] {
  return ROUND_TRIPPERS.map((name) => new PeerProber(peerHex, urls, name, deps).start());
}
