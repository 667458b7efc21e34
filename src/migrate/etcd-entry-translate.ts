// etcd's raft entries as etcd-ts's raft log holds them. Normal entries are the same
// InternalRaftRequest bytes in both and are kept as they are, except etcd's v2-store
// requests (a bare etcdserverpb.Request, or one wrapped in InternalRaftRequest.v2), which
// etcd-ts does not apply: the two it needs (a member publishing its name and client URLs,
// and the cluster version) become their v3 requests; any other v2 write (the v2 key space,
// which etcd-ts does not keep) becomes an empty entry. Conf changes are re-encoded from
// raftpb.ConfChange into etcd-ts's own conf change bytes.

import { EntryType, type ConfChangeType, type Entry } from '../raft/types.js';
import { encodeConfChange } from '../raft/confchange-codec.js';
import { encodeMember, encodePromotion } from '../server/membership.js';
import { Request } from '../gen/etcdserverpb/etcdserver.js';
import { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import { encodeMessage } from '../pkg/proto-encode.js';
import { decodeConfChange, type EtcdEntry } from './etcd-protos.js';

const ETCD_ENTRY_CONF_CHANGE_V2 = 2;
const V2_METHODS = new Set(['GET', 'QGET', 'PUT', 'POST', 'DELETE', 'HEAD', 'SYNC']);
const ATTRIBUTES_PATH = /^\/0\/members\/([0-9a-f]+)\/attributes$/;
const VERSION_PATH = '/0/version';

/** The v2 request in `data`, if it is one (bare or wrapped); undefined for a v3 request. */
export function v2RequestOf(data: Uint8Array): Request | undefined {
  let bare: Request | undefined;
  try {
    bare = Request.decode(data);
  } catch {
    bare = undefined;
  }
  // A v3 request's field 2 is the wrapped v2 request, never an http method.
  if (bare?.Method !== undefined && V2_METHODS.has(bare.Method)) return bare;
  try {
    return InternalRaftRequest.decode(data).v2;
  } catch {
    return undefined;
  }
}

/** The v3 request doing what a v2 request did to what etcd-ts keeps, or empty for nothing. */
function fromV2(req: Request): Uint8Array {
  const path = req.Path ?? '';
  if (req.Method === 'PUT') {
    const attrs = ATTRIBUTES_PATH.exec(path);
    if (attrs) {
      const a = JSON.parse(req.Val ?? '{}') as { name?: string; clientURLs?: string[] | null };
      return encodeMessage(InternalRaftRequest, {
        ...InternalRaftRequest.fromPartial({}),
        clusterMemberAttrSet: { memberID: BigInt(`0x${attrs[1]}`), memberAttributes: { name: a.name ?? '', clientUrls: a.clientURLs ?? [] } },
      });
    }
    if (path === VERSION_PATH) {
      return encodeMessage(InternalRaftRequest, { ...InternalRaftRequest.fromPartial({}), clusterVersionSet: { ver: req.Val ?? '' } });
    }
  }
  return new Uint8Array();
}

function translateConfChange(data: Uint8Array): Uint8Array {
  const cc = decodeConfChange(data);
  let context = cc.context;
  if (context.length > 0) {
    // etcd writes the member's id as a JSON number, which JSON.parse cannot hold exactly:
    // the id comes from the conf change instead.
    const m = JSON.parse(Buffer.from(context).toString()) as { name?: string; peerURLs?: string[] | null; clientURLs?: string[] | null; isLearner?: boolean; isPromote?: boolean };
    // A promotion must stay one: read as a member's addition, one etcd refused (an unknown id) would add a voter.
    context =
      m.isPromote === true
        ? encodePromotion(cc.nodeId)
        : encodeMember({ id: cc.nodeId, name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: m.isLearner ?? false });
  }
  return encodeConfChange({ type: cc.type as ConfChangeType, nodeId: cc.nodeId, id: cc.id, context });
}

export function translateEntry(e: EtcdEntry): Entry {
  if (e.type === ETCD_ENTRY_CONF_CHANGE_V2) throw new Error(`etcd data: entry ${e.index} is a joint (v2) conf change, which etcd-ts cannot take over`);
  if (e.type === EntryType.ConfChange) return { term: e.term, index: e.index, type: EntryType.ConfChange, data: translateConfChange(e.data) };
  if (e.data.length === 0) return { term: e.term, index: e.index, type: EntryType.Normal, data: e.data };
  const v2 = v2RequestOf(e.data);
  return { term: e.term, index: e.index, type: EntryType.Normal, data: v2 ? fromV2(v2) : e.data };
}
