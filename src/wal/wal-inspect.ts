// Read-only views of a WAL for tools (etcdutl, etcd-dump-logs style) and for choosing
// which snapshot file to load. Takes no lock and repairs nothing: a torn tail is shown,
// not cut; corruption still throws WalCorruptionError.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { RecordType, decodeCrc, decodeEntry, decodeHardState, decodeSnapshotMark, type WalSnapshotMark } from './record-format.js';
import { scanSegment } from './segment-reader.js';
import { listSegments } from './segment-files.js';

export type WalRecord =
  | { type: 'metadata'; file: string; offset: number; metadata: Uint8Array }
  | { type: 'entry'; file: string; offset: number; entry: Entry }
  | { type: 'state'; file: string; offset: number; hardState: HardState }
  | { type: 'crc'; file: string; offset: number; crc: number }
  | { type: 'snapshot'; file: string; offset: number; snapshot: WalSnapshotMark }
  /** The last segment ends in a torn write at `offset`; open() would discard it. */
  | { type: 'torn'; file: string; offset: number; reason: string };

/** Every record of every segment in `dir`, oldest first (file names are base names). */
export async function dumpWal(dir: string): Promise<WalRecord[]> {
  const segs = await listSegments(dir);
  const out: WalRecord[] = [];
  let crc: number | undefined;
  for (let i = 0; i < segs.length; i++) {
    const file = segs[i]!.name;
    const scan = scanSegment(join(dir, file), await readFile(join(dir, file)), crc, i === segs.length - 1);
    for (const f of scan.frames) {
      const at = { file, offset: f.offset };
      switch (f.type) {
        case RecordType.Metadata:
          out.push({ type: 'metadata', ...at, metadata: new Uint8Array(f.payload) });
          break;
        case RecordType.Entry:
          out.push({ type: 'entry', ...at, entry: decodeEntry(f.payload) });
          break;
        case RecordType.State:
          out.push({ type: 'state', ...at, hardState: decodeHardState(f.payload) });
          break;
        case RecordType.Crc:
          out.push({ type: 'crc', ...at, crc: decodeCrc(f.payload) });
          break;
        case RecordType.Snapshot:
          out.push({ type: 'snapshot', ...at, snapshot: decodeSnapshotMark(f.payload) });
          break;
      }
    }
    if (scan.torn !== undefined) out.push({ type: 'torn', file, offset: scan.end, reason: scan.torn });
    crc = scan.crc;
  }
  return out;
}

/** One line per record, for people: `<file>@<offset> <type> <fields>`. */
export function formatWalDump(records: WalRecord[]): string {
  return records
    .map((r) => {
      const at = `${r.file}@${r.offset}`;
      switch (r.type) {
        case 'metadata':
          return `${at} metadata ${Buffer.from(r.metadata).toString('hex')}`;
        case 'entry':
          return `${at} entry term=${r.entry.term} index=${r.entry.index} type=${r.entry.type} data=${Buffer.from(r.entry.data).toString('hex')}`;
        case 'state':
          return `${at} state term=${r.hardState.term} vote=${r.hardState.vote.toString(16)} commit=${r.hardState.commit}`;
        case 'crc':
          return `${at} crc ${r.crc.toString(16).padStart(8, '0')}`;
        case 'snapshot':
          return `${at} snapshot index=${r.snapshot.index} term=${r.snapshot.term}`;
        case 'torn':
          return `${at} torn (${r.reason})`;
      }
    })
    .join('\n');
}

/**
 * Snapshot records a member may start from: those at or below the newest hard state's
 * commit index, oldest first. (A snapshot record past the commit index would let the
 * member load a state its log does not yet vouch for.) Always includes {0, 0} while the
 * first segment exists.
 */
export async function validSnapshotMarks(dir: string): Promise<WalSnapshotMark[]> {
  const marks: WalSnapshotMark[] = [];
  let commit = 0;
  for (const r of await dumpWal(dir)) {
    if (r.type === 'snapshot') marks.push(r.snapshot);
    else if (r.type === 'state') commit = r.hardState.commit;
  }
  return marks.filter((m) => m.index <= commit);
}
