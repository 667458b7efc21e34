// The member list as etcd's peer port serves it at /members: ids as bare decimal
// uint64 numbers (beyond 2^53, so JSON.stringify/parse cannot be used on them), empty
// name/clientURLs and a false isLearner left out, sorted by id.

import type { Member } from '../server/membership.js';

export function peerMembersJson(members: readonly Member[]): string {
  const items = members.map((m) => {
    const fields = [`"id":${m.id.toString()}`, `"peerURLs":${JSON.stringify(m.peerURLs)}`];
    if (m.name !== '') fields.push(`"name":${JSON.stringify(m.name)}`);
    if (m.clientURLs.length > 0) fields.push(`"clientURLs":${JSON.stringify(m.clientURLs)}`);
    if (m.isLearner) fields.push('"isLearner":true');
    return `{${fields.join(',')}}`;
  });
  return `[${items.join(',')}]`;
}

export function parsePeerMembersJson(text: string): Member[] {
  // Quote the ids first so they survive as exact decimal text.
  const quoted = text.replace(/"id":(\d+)/g, '"id":"$1"');
  const list = JSON.parse(quoted) as { id: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }[];
  return list.map((m) => ({ id: BigInt(m.id), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: m.isLearner ?? false }));
}
