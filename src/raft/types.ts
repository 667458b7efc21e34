// The raft data model shared by the consensus core, the WAL, the snapshotter and the
// member that drives them. Modelled on etcd-io/raft's raftpb, expressed in TypeScript.
//
// Units and representations:
// - Node (member) IDs are uint64 in etcd and routinely exceed 2^53, so they are bigint.
//   0n means "none" (no leader, no vote).
// - Terms and log indexes are plain numbers: they grow by one per election or entry and
//   cannot reach 2^53 in the lifetime of any cluster.
// - Entry payloads are opaque bytes; raft never looks inside them.

export type NodeId = bigint;
export const NONE: NodeId = 0n;

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque payload (an encoded request, or an encoded ConfChange for ConfChange entries). Empty for the leader's no-op. */
  data: Uint8Array;
}

/** What must be on stable storage before any message that depends on it is sent. */
export interface HardState {
  term: number;
  /** The node voted for in `term`, or NONE. */
  vote: NodeId;
  /** Highest log index known to be committed. */
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  confState: ConfState;
  /** Index of the last entry covered by the snapshot. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
}

export interface Snapshot {
  /** Application state (opaque to raft). */
  data: Uint8Array;
  metadata: SnapshotMetadata;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  UpdateNode = 2,
  AddLearnerNode = 3,
}

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to raft: the member's attributes (peer URLs, name) as the application encodes them. */
  context: Uint8Array;
  /** Application-chosen identifier used to match the applied change to the waiting proposer. */
  id: bigint;
}

export enum MessageType {
  Hup = 0,
  Beat = 1,
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  Unreachable = 10,
  SnapStatus = 11,
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** Term of the entry at `index` (for App), or of the candidate's last entry (for Vote/PreVote). */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  /** Opaque context, e.g. the ReadIndex request id or the campaign type. */
  context: Uint8Array;
}

/** A linearizable read point: `index` is the commit index at the time the read was confirmed. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

export enum StateType {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

/** Volatile state that is useful to the application (e.g. leader changes); never persisted. */
export interface SoftState {
  lead: NodeId;
  raftState: StateType;
}

/**
 * The work handed to the application by the core. The application must, in order:
 * persist `hardState`, `entries` and `snapshot` (fsync); send `messages`; apply
 * `committedEntries`; then call `advance()`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  /** True when `hardState`/`entries` must be fsynced before messages are sent. */
  mustSync: boolean;
}
