// `snapshot status` output in each -w format, as etcdctl 3.4 and etcdutl 3.5 print it
// (the two agree): simple "hash, revision, total keys, total size"; a table with those
// columns; JSON with Go's field tags; fields as "Name" : value lines. protobuf has no
// status message: refused with exit 4 (ExitBadFeature), as is an unknown format.

import { humanizeBytes } from '../cli/etcdctl/go-format.js';
import { renderTable } from '../cli/etcdctl/printer-table.js';
import type { SnapshotStatus } from './snapshot-status.js';

export const EXIT_BAD_FEATURE = 4;

export class StatusFormatError extends Error {
  readonly exitCode = EXIT_BAD_FEATURE;
}

function row(s: SnapshotStatus): string[] {
  return [s.hash.toString(16), String(s.revision), String(s.totalKey), humanizeBytes(s.totalSize)];
}

/** Throws StatusFormatError for a format with no status output. */
export function checkStatusFormat(format: string): void {
  if (format === 'protobuf') throw new StatusFormatError('protobuf not supported as output format');
  if (!['simple', 'table', 'json', 'fields'].includes(format)) throw new StatusFormatError('unsupported output format');
}

export function formatStatus(format: string, s: SnapshotStatus): string {
  checkStatusFormat(format);
  switch (format) {
    case 'table':
      return renderTable(['hash', 'revision', 'total keys', 'total size'], [row(s)]);
    case 'json':
      return `${JSON.stringify({ hash: s.hash, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize })}\n`;
    case 'fields':
      return `"Hash" : ${s.hash}\n"Revision" : ${s.revision}\n"Keys" : ${s.totalKey}\n"Size" : ${s.totalSize}\n`;
    default:
      return `${row(s).join(', ')}\n`;
  }
}
