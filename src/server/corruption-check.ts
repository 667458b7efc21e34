// Data-corruption checks between members (--experimental-initial-corrupt-check,
// --experimental-corrupt-check-time), with etcd 3.4/3.5's rules and log lines.
//
// Members that applied the same log must hold the same keyspace, so HashKV at the same
// revision (and the same compaction) must give the same number everywhere. Two checks
// compare it:
// - the initial check, before a restarted member serves anyone: its hash at its own
//   revision against each peer's at that revision. A different hash with the same compact
//   revision means this member (or the peer) diverged, and the member refuses to start.
//   Peers that are unreachable, behind or compacted past that revision cannot be compared
//   and are only warned about.
// - the periodic check, run by the leader only: its own hash, every peer's at that
//   revision, then (after a linearizable read, so the leader is still the leader and has
//   applied what it committed) its hash again. A follower ahead of the leader, a follower
//   compacted further than the leader, a follower with the same compact revision but a
//   different hash, or the leader's own hash changing without the revision changing, each
//   raise the CORRUPT alarm through raft; once applied, every member refuses changes.
//
// Which member the alarm names: etcd 3.4.23 and 3.5.7+ raise it with memberID 0 (etcd
// PR 14828: a mismatch between two members does not say which one is wrong; only 3.6
// decides by quorum). Earlier 3.4/3.5 named the member the rule fired for. We follow the
// installed etcd 3.4.23; `ALARM_NAMES_CLUSTER` is the one switch between the two.
//
// Everything outside (hashing, peers, raft, time) comes in through CorruptionHost and
// CheckScheduler, so the rules are unit-tested without a cluster or real timers.

import { formatId } from '../pkg/ids.js';
import { formatGoDuration } from '../pkg/go-strconv.js';

/** A HashKV answer: the hash of the keyspace up to `revision`, and the compaction it saw (-1 for none). */
export interface KvHash {
  revision: number;
  compactRevision: number;
  hash: number;
}

/** Why a peer gave no hash; the first three are the answers etcd tells apart. */
export type PeerHashErrorKind = 'compacted' | 'future-rev' | 'cluster-id-mismatch' | 'other';

export interface PeerHashError {
  kind: PeerHashErrorKind;
  message: string;
}

/** One peer's answer to "your hash at revision N": a hash, or why there is none. */
export interface PeerHash {
  id: bigint;
  endpoints: string[];
  resp?: KvHash;
  err?: PeerHashError;
}

export interface CorruptionLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface CorruptionHost {
  memberId: bigint;
  /** etcd's request timeout (5s + 2 × election timeout): logged, and each peer call's limit. */
  requestTimeoutMs: number;
  /** This member's HashKV at its current revision. */
  localHash(): Promise<KvHash>;
  /** Every other member's HashKV at `rev`, one entry per member with peer URLs. */
  peerHashes(rev: number): Promise<PeerHash[]>;
  /** Resolves once a linearizable read could be served (this member is still the leader and caught up). */
  linearizableReadNotify(): Promise<void>;
  /** Proposes AlarmRequest{ACTIVATE, memberID, CORRUPT} through raft, without waiting for it. */
  triggerCorruptAlarm(memberId: bigint): void;
  log: CorruptionLog;
}

/** etcd 3.4.23 / 3.5.7+: the alarm names the whole cluster (member 0), not the member a rule fired for. */
export const ALARM_NAMES_CLUSTER = true;

export class InitialCorruptCheckError extends Error {
  constructor(memberId: bigint) {
    super(`${formatId(memberId)} found data inconsistency with peers`);
    this.name = 'InitialCorruptCheckError';
  }
}

/**
 * The check before serving. Resolves when nothing inconsistent was found (peers that
 * could not be compared are skipped with a warning); rejects with etcd's
 * "<id> found data inconsistency with peers" when a peer at the same compact revision
 * has another hash, or "<id> failed to fetch hash (...)" when the local hash fails.
 */
export async function initialCorruptCheck(host: CorruptionHost): Promise<void> {
  const self = formatId(host.memberId);
  host.log.info('starting initial corruption check', { 'local-member-id': self, timeout: formatGoDuration(host.requestTimeoutMs) });
  let local: KvHash;
  try {
    local = await host.localHash();
  } catch (err) {
    throw new Error(`${self} failed to fetch hash (${errorText(err)})`);
  }
  const localFields = {
    'local-member-id': self,
    'local-member-revision': local.revision,
    'local-member-compact-revision': local.compactRevision,
    'local-member-hash': local.hash,
  };
  let mismatches = 0;
  for (const p of await host.peerHashes(local.revision)) {
    const peerFields = { 'remote-peer-id': formatId(p.id), 'remote-peer-endpoints': p.endpoints };
    if (p.resp) {
      if (p.resp.hash === local.hash) continue;
      const fields = {
        ...localFields,
        ...peerFields,
        'remote-peer-revision': p.resp.revision,
        'remote-peer-compact-revision': p.resp.compactRevision,
        'remote-peer-hash': p.resp.hash,
      };
      if (p.resp.compactRevision === local.compactRevision) {
        host.log.warn('found different hash values from remote peer', fields);
        mismatches++;
      } else {
        // Hashes over different compactions differ legitimately: nothing can be concluded.
        host.log.warn('found different compact revision values from remote peer', fields);
      }
      continue;
    }
    const skipped = SKIP_MESSAGES[p.err?.kind ?? 'other'];
    // etcd logs the error of its own hash call here, which is always nil; we say what the peer answered.
    if (skipped) host.log.warn(skipped, { ...localFields, ...peerFields, error: p.err?.message });
  }
  if (mismatches > 0) throw new InitialCorruptCheckError(host.memberId);
  host.log.info('initial corruption checking passed; no corruption', { 'local-member-id': self });
}

/** etcd's warning for a peer whose hash could not be had, by reason; other failures were already logged per endpoint. */
const SKIP_MESSAGES: Record<PeerHashErrorKind, string | undefined> = {
  'future-rev': 'cannot fetch hash from slow remote peer',
  compacted: 'cannot fetch hash from remote peer; local member is behind',
  'cluster-id-mismatch': 'cluster ID mismatch',
  other: undefined,
};

/**
 * One round of the leader's check. Raises at most one CORRUPT alarm per round, as etcd
 * does, but logs every rule that fired. Rejects when the local hash or the linearizable
 * read fails (the monitor logs that and tries again next period).
 */
export async function periodicCorruptCheck(host: CorruptionHost): Promise<void> {
  const first = await host.localHash();
  const peers = await host.peerHashes(first.revision);
  await host.linearizableReadNotify();
  const second = await host.localHash();

  let alarmed = false;
  const mismatch = (id: bigint): void => {
    if (alarmed) return;
    alarmed = true;
    host.triggerCorruptAlarm(ALARM_NAMES_CLUSTER ? 0n : id);
  };

  // The same revision and compaction hashed twice must give the same number: if not, the
  // leader's own storage is changing under it.
  if (second.hash !== first.hash && second.revision === first.revision && second.compactRevision === first.compactRevision) {
    host.log.warn('found hash mismatch', {
      'revision-1': first.revision,
      'compact-revision-1': first.compactRevision,
      'hash-1': first.hash,
      'revision-2': second.revision,
      'compact-revision-2': second.compactRevision,
      'hash-2': second.hash,
    });
    mismatch(host.memberId);
  }

  let checked = 0;
  for (const p of peers) {
    if (!p.resp) continue;
    checked++;
    const follower = formatId(p.id);
    // The leader has applied at least what any follower has: a follower further on made up history.
    if (p.resp.revision > second.revision) {
      host.log.warn("revision from follower must be less than or equal to leader's", {
        'leader-revision': second.revision,
        'follower-revision': p.resp.revision,
        'follower-peer-id': follower,
      });
      mismatch(p.id);
    }
    // Compactions go through the log too, so the same holds for them.
    if (p.resp.compactRevision > second.compactRevision) {
      host.log.warn("compact revision from follower must be less than or equal to leader's", {
        'leader-compact-revision': second.compactRevision,
        'follower-compact-revision': p.resp.compactRevision,
        'follower-peer-id': follower,
      });
      mismatch(p.id);
    }
    // The follower hashed the leader's first revision over the same compaction: the hashes must agree.
    if (p.resp.compactRevision === first.compactRevision && p.resp.hash !== first.hash) {
      host.log.warn('same compact revision then hashes must match', {
        'leader-compact-revision': second.compactRevision,
        'leader-hash': first.hash,
        'follower-compact-revision': p.resp.compactRevision,
        'follower-hash': p.resp.hash,
        'follower-peer-id': follower,
      });
      mismatch(p.id);
    }
  }
  host.log.info('finished peer corruption check', { 'number-of-peers-checked': checked });
}

/** Timers, injected so tests drive the monitor without waiting. */
export interface CheckScheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: CheckScheduler = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * etcd's monitorKVHash: every `intervalMs` (counted from the end of the previous round,
 * so slow peers never make rounds overlap), the leader runs periodicCorruptCheck;
 * followers just wait for the next period.
 */
export class CorruptionMonitor {
  private timer: unknown;
  private stopped = false;
  /** The round in progress, so stop() can wait for it. */
  private running: Promise<void> | undefined;

  constructor(
    private readonly host: CorruptionHost,
    private readonly opts: { intervalMs: number; isLeader: () => boolean; scheduler?: CheckScheduler },
  ) {}

  private get scheduler(): CheckScheduler {
    return this.opts.scheduler ?? realScheduler;
  }

  start(): void {
    this.host.log.info('enabled corruption checking', { 'local-member-id': formatId(this.host.memberId), interval: formatGoDuration(this.opts.intervalMs) });
    this.schedule();
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    return this.running ?? Promise.resolve();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.running = this.round().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.opts.intervalMs);
  }

  private async round(): Promise<void> {
    if (this.stopped || !this.opts.isLeader()) return;
    try {
      await periodicCorruptCheck(this.host);
    } catch (err) {
      this.host.log.warn('failed to check hash KV', { error: errorText(err) });
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
