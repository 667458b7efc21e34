// The warning an operator sees in etcd when a peer cannot be reached over peer TLS:
// "prober detected unhealthy status", naming the peer and the error (a refused connection,
// or the peer's certificate failing --peer-cert-allowed-cn / -hostname). etcd sends a GET
// to each peer every few seconds through both of its peer round trippers and checks the
// outcome 5 s after the peer is added, again every 5 s while the last probe failed and every
// 30 s once one succeeded. etcd-ts sends no separate probe: its raft stream to the peer is
// redialled every STREAM_REDIAL_MS while down, with the same TLS options every other peer
// request uses, so the latest dial's outcome answers the same question. As with etcd's
// probe, any HTTP answer means reachable (a stream the peer refuses for its own reasons
// leaves the member as healthy as etcd's prober would see it).

import { formatGoDuration } from '../pkg/go-strconv.js';
import { goDialError } from './peer-http.js';

const FIRST_CHECK_MS = 5_000;
const UNHEALTHY_CHECK_MS = 5_000;
const HEALTHY_CHECK_MS = 30_000;
/** Weight of a new round-trip sample in the smoothed round-trip time, as etcd's prober. */
const SRTT_WEIGHT = 0.125;
/** etcd's two probers: one per round tripper; etcd-ts's requests share one set of options. */
const ROUND_TRIPPERS = ['ROUND_TRIPPER_RAFT_MESSAGE', 'ROUND_TRIPPER_SNAPSHOT'] as const;

export type PeerWarn = (msg: string, fields: Record<string, unknown>) => void;

export class PeerDialHealth {
  private healthy = false;
  private error: string | undefined;
  private srttMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly peerHex: string,
    private readonly warn: PeerWarn,
  ) {
    this.schedule(FIRST_CHECK_MS);
  }

  /** The peer answered a dial (any HTTP status) `rttMs` after it began. */
  answered(rttMs: number): void {
    this.healthy = true;
    this.error = undefined;
    this.srttMs = (1 - SRTT_WEIGHT) * this.srttMs + SRTT_WEIGHT * rttMs;
  }

  /** A dial failed before any answer: refused, reset, or the certificate judged unacceptable. */
  failed(err: Error, url: URL): void {
    this.healthy = false;
    this.error = goDialError(err, url);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    // Watching a peer must never keep a stopping member's process alive.
    this.timer.unref();
  }

  private check(): void {
    if (this.healthy) {
      this.schedule(HEALTHY_CHECK_MS);
      return;
    }
    for (const name of ROUND_TRIPPERS) {
      this.warn('prober detected unhealthy status', {
        'round-tripper-name': name,
        'remote-peer-id': this.peerHex,
        rtt: formatGoDuration(this.srttMs),
        // Like zap.Error(nil): no field before the first dial has an outcome.
        ...(this.error !== undefined ? { error: this.error } : {}),
      });
    }
    this.schedule(UNHEALTHY_CHECK_MS);
  }
}
