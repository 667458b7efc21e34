// The mvcc layer's errors. Their messages are etcd's; the server adds the
// "etcdserver: " prefix clients see.

export class ErrCompacted extends Error {
  constructor() {
    super('mvcc: required revision has been compacted');
    this.name = 'ErrCompacted';
  }
}

export class ErrFutureRev extends Error {
  constructor() {
    super('mvcc: required revision is a future revision');
    this.name = 'ErrFutureRev';
  }
}
