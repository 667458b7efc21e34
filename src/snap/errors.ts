// The snapshotter's errors, worded as etcd's (`snap: ...`) so operators' greps carry over.

/** No snapshot file in the directory could be loaded (etcd's ErrNoSnapshot). */
export class SnapNoSnapshotError extends Error {
  constructor(readonly dir: string) {
    super(`snap: no available snapshot in ${dir}`);
    this.name = 'SnapNoSnapshotError';
  }
}

/** A snapshot file is zero bytes long (etcd's ErrEmptySnapshot). */
export class SnapEmptyError extends Error {
  constructor(readonly file: string) {
    super(`snap: empty snapshot: ${file}`);
    this.name = 'SnapEmptyError';
  }
}

/** A snapshot file's checksum or structure is wrong (etcd's ErrCRCMismatch and friends). */
export class SnapCorruptError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    crc = true,
  ) {
    super(`${crc ? 'snap: crc mismatch' : 'snap: bad snapshot file'}: ${detail} in ${file}`);
    this.name = 'SnapCorruptError';
  }
}
