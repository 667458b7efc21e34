// Errors the raft core reports to its driver.

export class ErrProposalDropped extends Error {
  constructor() {
    super('raft proposal dropped');
    this.name = 'ErrProposalDropped';
  }
}

/** The requested index is below the storage's first index (compacted into a snapshot). */
export class ErrCompacted extends Error {
  constructor() {
    super('requested index is unavailable due to compaction');
    this.name = 'ErrCompacted';
  }
}

/** The requested index is beyond the storage's last index. */
export class ErrUnavailable extends Error {
  constructor() {
    super('requested entry at index is unavailable');
    this.name = 'ErrUnavailable';
  }
}

export class ErrSnapOutOfDate extends Error {
  constructor() {
    super('requested index is older than the existing snapshot');
    this.name = 'ErrSnapOutOfDate';
  }
}
