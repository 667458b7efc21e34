// The public surface of the raft core, for the layers above (server, wal, snap, tests).
// Everything here is synchronous and deterministic; see raw-node.ts for the driver loop.

export { RawNode, bootstrap, type PeerStatus, type Status } from './raw-node.js';
export { CAMPAIGN_TRANSFER, type RaftConfig, type RaftLogger } from './raft.js';
export { MemoryStorage, type RaftStorage } from './storage.js';
export { encodeConfChange, decodeConfChange } from './confchange-codec.js';
export { ErrCompacted, ErrProposalDropped, ErrSnapOutOfDate, ErrUnavailable } from './errors.js';
export { ProgressState } from './tracker/progress.js';
export { MESSAGE_TYPE_NAMES, STATE_NAMES, describeMessage, describeEntry } from './describe.js';
export * from './types.js';
