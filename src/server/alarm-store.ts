// The member's alarms (NOSPACE, CORRUPT), raised and cleared only by applying raft
// entries, so every member holds the same set. Persisted in the backend's `alarm`
// bucket the way etcd lays it out: one row per alarm whose key is the marshaled
// AlarmMember and whose value is empty, so a restart (or a snapshot) keeps them.

import { AlarmMember, AlarmType } from '../gen/etcdserverpb/rpc.js';
import type { BatchTx } from '../storage/buckets.js';

export class AlarmStore {
  /** alarm type -> member id -> the alarm. */
  private readonly byType = new Map<AlarmType, Map<bigint, AlarmMember>>();

  constructor(private readonly tx: BatchTx) {
    this.reload();
  }

  /** Reads the alarms from the backend again (it was replaced by a raft snapshot's db). */
  reload(): void {
    this.byType.clear();
    for (const { key } of this.tx.range('alarm', Buffer.alloc(0))) {
      const m = AlarmMember.decode(key);
      this.remember(m);
    }
  }

  private remember(m: AlarmMember): void {
    let members = this.byType.get(m.alarm);
    if (!members) this.byType.set(m.alarm, (members = new Map()));
    members.set(m.memberID, m);
  }

  /** Raises an alarm; undefined when that member already had it (nothing changed). */
  activate(memberID: bigint, alarm: AlarmType): AlarmMember | undefined {
    if (this.byType.get(alarm)?.has(memberID)) return undefined;
    const m: AlarmMember = { memberID, alarm };
    this.remember(m);
    this.tx.put('alarm', Buffer.from(AlarmMember.encode(m).finish()), Buffer.alloc(0));
    return m;
  }

  /** Clears an alarm; undefined when that member did not have it. */
  deactivate(memberID: bigint, alarm: AlarmType): AlarmMember | undefined {
    const m = this.byType.get(alarm)?.get(memberID);
    if (!m) return undefined;
    this.byType.get(alarm)!.delete(memberID);
    this.tx.delete('alarm', Buffer.from(AlarmMember.encode(m).finish()));
    return m;
  }

  /** The alarms of one type, or all of them for NONE (as etcd's GET with no type). */
  get(alarm: AlarmType): AlarmMember[] {
    if (alarm !== AlarmType.NONE) return [...(this.byType.get(alarm)?.values() ?? [])];
    const types = [...this.byType.keys()].sort((a, b) => a - b);
    return types.flatMap((t) => [...this.byType.get(t)!.values()]);
  }

  has(alarm: AlarmType): boolean {
    return (this.byType.get(alarm)?.size ?? 0) > 0;
  }
}

/**
 * An alarm as Go's protobuf text format prints it (AlarmMember.String()), which is what
 * etcd puts in Status.errors: `memberID:<decimal> alarm:NOSPACE ` with the trailing space.
 */
export function alarmText(m: AlarmMember): string {
  return `memberID:${m.memberID} alarm:${AlarmType[m.alarm] ?? String(m.alarm)} `;
}
