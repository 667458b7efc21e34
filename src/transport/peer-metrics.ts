// The peer network families etcd 3.4 exports from its raft transport (etcd_network_*),
// with its names, labels and help texts. Peers are labelled by member id in hexadecimal,
// as etcd writes ids. Bytes are counted as they are written to or read from a peer's
// connection; the counts of every raft message sent or received are plain numbers added
// to the counters when /metrics is read, so the message path does not pay a label lookup.

import { exponentialBuckets } from 'prom-client';
import { counter, gauge, histogram } from '../metrics/registry.js';

/** A running byte count for one peer; the transport adds to `n`. */
export interface ByteCount {
  n: number;
}

/** A counter of bytes per peer: `of(peer)` gives the plain number to add to. */
function byteCounter(name: string, help: string, label: 'To' | 'From'): { of(peer: string): ByteCount } {
  const counts = new Map<string, { n: number; reported: number }>();
  const c = counter(name, help, [label], () => {
    for (const [peer, k] of counts) {
      if (k.n > k.reported) c.inc({ [label]: peer }, k.n - k.reported);
      k.reported = k.n;
    }
  });
  return {
    of(peer) {
      let k = counts.get(peer);
      if (k === undefined) counts.set(peer, (k = { n: 0, reported: 0 }));
      return k;
    },
  };
}

/** etcd's snapshot transfer buckets: 0.1 s doubling to 51.2 s. */
const SNAPSHOT_BUCKETS = exponentialBuckets(0.1, 2, 10);

export const peerSentBytes = byteCounter('etcd_network_peer_sent_bytes_total', 'The total number of bytes sent to peers.', 'To');
export const peerReceivedBytes = byteCounter('etcd_network_peer_received_bytes_total', 'The total number of bytes received from peers.', 'From');
export const peerSentFailures = counter('etcd_network_peer_sent_failures_total', 'The total number of send failures from peers.', ['To']);
export const peerReceivedFailures = counter('etcd_network_peer_received_failures_total', 'The total number of receive failures from peers.', ['From']);

const activePeers = gauge('etcd_network_active_peers', 'The current number of active peer connections.', ['Local', 'Remote']);
const disconnectedPeers = counter('etcd_network_disconnected_peers_total', 'The total number of disconnected peers.', ['Local', 'Remote']);

/** The link to `remote` came up. */
export function peerActivated(local: string, remote: string): void {
  activePeers.set({ Local: local, Remote: remote }, 1);
}

/** The link to `remote` went down; `disconnected` false when it was closed on purpose (the peer was removed, the member stops). */
export function peerDeactivated(local: string, remote: string, disconnected: boolean): void {
  activePeers.set({ Local: local, Remote: remote }, 0);
  if (disconnected) disconnectedPeers.inc({ Local: local, Remote: remote });
}

/** etcd's round-trip buckets: 0.1 ms doubling to ~3.3 s. */
const ROUND_TRIP_BUCKETS = exponentialBuckets(0.0001, 2, 16);
/** Fed by the prober (peer-prober.ts) with each round tripper's smoothed round-trip time at every status reading. */
export const peerRoundTripSeconds = histogram('etcd_network_peer_round_trip_time_seconds', 'Round-Trip-Time histogram between peers', ROUND_TRIP_BUCKETS, ['To']);

export const snapshotSendSuccess = counter('etcd_network_snapshot_send_success', 'Total number of successful snapshot sends', ['To']);
export const snapshotSendFailures = counter('etcd_network_snapshot_send_failures', 'Total number of snapshot send failures', ['To']);
export const snapshotSendInflights = gauge('etcd_network_snapshot_send_inflights_total', 'Total number of inflight snapshot sends', ['To']);
export const snapshotSendSeconds = histogram('etcd_network_snapshot_send_total_duration_seconds', 'Total latency distributions of v3 snapshot sends', SNAPSHOT_BUCKETS, ['To']);
export const snapshotReceiveSuccess = counter('etcd_network_snapshot_receive_success', 'Total number of successful snapshot receives', ['From']);
export const snapshotReceiveFailures = counter('etcd_network_snapshot_receive_failures', 'Total number of snapshot receive failures', ['From']);
export const snapshotReceiveInflights = gauge('etcd_network_snapshot_receive_inflights_total', 'Total number of inflight snapshot receives', ['From']);
export const snapshotReceiveSeconds = histogram('etcd_network_snapshot_receive_total_duration_seconds', 'Total latency distributions of v3 snapshot receives', SNAPSHOT_BUCKETS, ['From']);

/** etcd's label for a snapshot whose sender is not known yet (the body failed before its message). */
export const UNKNOWN_SNAPSHOT_SENDER = 'UNKNOWN_SNAPSHOT_SENDER';
