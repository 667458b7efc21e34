// Human-readable forms of raft values, in etcd-io/raft's vocabulary (MsgApp,
// StateLeader, ...), for logs and for the scripted interaction tests' expected output.

import { ConfChangeType, EntryType, MessageType, StateType, type Entry, type HardState, type Message, type NodeId } from './types.js';

export const MESSAGE_TYPE_NAMES: Record<MessageType, string> = {
  [MessageType.Hup]: 'MsgHup',
  [MessageType.Beat]: 'MsgBeat',
  [MessageType.Prop]: 'MsgProp',
  [MessageType.App]: 'MsgApp',
  [MessageType.AppResp]: 'MsgAppResp',
  [MessageType.Vote]: 'MsgVote',
  [MessageType.VoteResp]: 'MsgVoteResp',
  [MessageType.Snap]: 'MsgSnap',
  [MessageType.Heartbeat]: 'MsgHeartbeat',
  [MessageType.HeartbeatResp]: 'MsgHeartbeatResp',
  [MessageType.Unreachable]: 'MsgUnreachable',
  [MessageType.SnapStatus]: 'MsgSnapStatus',
  [MessageType.CheckQuorum]: 'MsgCheckQuorum',
  [MessageType.TransferLeader]: 'MsgTransferLeader',
  [MessageType.TimeoutNow]: 'MsgTimeoutNow',
  [MessageType.ReadIndex]: 'MsgReadIndex',
  [MessageType.ReadIndexResp]: 'MsgReadIndexResp',
  [MessageType.PreVote]: 'MsgPreVote',
  [MessageType.PreVoteResp]: 'MsgPreVoteResp',
};

export const STATE_NAMES: Record<StateType, string> = {
  [StateType.Follower]: 'StateFollower',
  [StateType.Candidate]: 'StateCandidate',
  [StateType.Leader]: 'StateLeader',
  [StateType.PreCandidate]: 'StatePreCandidate',
};

export const CONF_CHANGE_TYPE_NAMES: Record<ConfChangeType, string> = {
  [ConfChangeType.AddNode]: 'AddNode',
  [ConfChangeType.RemoveNode]: 'RemoveNode',
  [ConfChangeType.UpdateNode]: 'UpdateNode',
  [ConfChangeType.AddLearnerNode]: 'AddLearnerNode',
};

/** Node ids in hex, as etcd logs them. */
export function hexId(id: NodeId): string {
  return id.toString(16);
}

/** Payload bytes shown in descriptions; longer payloads are cut with their size noted. */
export const DESCRIBE_DATA_BYTES_MAX = 64;

/** Printable payload: text if it is plain ASCII, else hex. */
export function describeData(data: Uint8Array): string {
  const shown = data.subarray(0, DESCRIBE_DATA_BYTES_MAX);
  const more = data.length > shown.length ? `...(${data.length} bytes)` : '';
  let ascii = true;
  for (const b of shown) if (b < 0x20 || b > 0x7e) ascii = false;
  if (ascii) return `"${String.fromCharCode(...shown)}"${more}`;
  return '0x' + Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join('') + more;
}

export function describeEntry(e: Entry, decodeConf?: (data: Uint8Array) => string): string {
  if (e.type === EntryType.ConfChange) {
    return `${e.term}/${e.index} EntryConfChange ${decodeConf ? decodeConf(e.data) : describeData(e.data)}`;
  }
  return `${e.term}/${e.index} EntryNormal ${e.data.length === 0 ? '""' : describeData(e.data)}`;
}

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hexId(hs.vote)} Commit:${hs.commit}`;
}

export function describeMessage(m: Message, decodeConf?: (data: Uint8Array) => string): string {
  let s = `${hexId(m.from)}->${hexId(m.to)} ${MESSAGE_TYPE_NAMES[m.type]} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map((e) => describeEntry(e, decodeConf)).join(', ')}]`;
  if (m.snapshot) {
    const md = m.snapshot.metadata;
    s += ` Snapshot: Index:${md.index} Term:${md.term} ConfState:Voters:[${md.confState.voters.map(hexId).join(' ')}] Learners:[${md.confState.learners.map(hexId).join(' ')}]`;
  }
  if (m.context.length > 0) s += ` Context:${describeData(m.context)}`;
  return s;
}
