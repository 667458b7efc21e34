// The WAL's errors. Messages start with etcd's own wording (`wal: crc mismatch`,
// `wal: file not found`, ...) because operators and scripts grep for it; what follows
// the colon names the file and byte offset so the damage can be found.

/** Damage in bytes that were once durable: the member must not start on this WAL. */
export class WalCorruptionError extends Error {
  constructor(
    /** Path of the damaged segment file. */
    readonly file: string,
    /** Byte offset of the first bad frame in `file`. */
    readonly offset: number,
    detail: string,
  ) {
    super(`wal: crc mismatch: ${detail} in ${file} at offset ${offset}`);
    this.name = 'WalCorruptionError';
  }
}

/** Another WAL handle (in this process or another live one) holds the directory's lock. */
export class WalLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
  ) {
    super(`fileutil: file already locked: wal ${dir} is held by process ${holderPid}`);
    this.name = 'WalLockedError';
  }
}

/** The segment files needed to read from the requested snapshot are missing or out of sequence. */
export class WalFileNotFoundError extends Error {
  constructor(
    readonly dir: string,
    detail: string,
  ) {
    super(`wal: file not found: ${detail} in ${dir}`);
    this.name = 'WalFileNotFoundError';
  }
}

/** No snapshot record at the index open() was asked to start from. */
export class WalSnapshotNotFoundError extends Error {
  constructor(readonly index: number, readonly term: number) {
    super(`wal: snapshot not found: no snapshot record at index ${index} (term ${term})`);
    this.name = 'WalSnapshotNotFoundError';
  }
}

/** A snapshot record at the requested index carries a different term. */
export class WalSnapshotMismatchError extends Error {
  constructor(index: number, wantTerm: number, gotTerm: number) {
    super(`wal: snapshot mismatch: snapshot record at index ${index} has term ${gotTerm}, expected ${wantTerm}`);
    this.name = 'WalSnapshotMismatchError';
  }
}

/** Two segments disagree about the member's metadata. */
export class WalMetadataConflictError extends Error {
  constructor(readonly file: string, readonly offset: number) {
    super(`wal: conflicting metadata found in ${file} at offset ${offset}`);
    this.name = 'WalMetadataConflictError';
  }
}

/** An entry's index leaves a hole after the entries read so far. */
export class WalGapError extends Error {
  constructor(readonly file: string, readonly offset: number, index: number, expected: number) {
    super(`wal: slice bounds out of range: entry index ${index} after ${expected - 1} in ${file} at offset ${offset}`);
    this.name = 'WalGapError';
  }
}
