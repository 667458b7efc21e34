// Raw gRPC plumbing for the benchmark: channels that each own their own HTTP/2 connection,
// calls that send pre-encoded bytes and hand back undecoded bytes.

import grpc from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

export const METHODS = {
  put: '/etcdserverpb.KV/Put',
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  leaseGrant: '/etcdserverpb.Lease/LeaseGrant',
  leaseKeepAlive: '/etcdserverpb.Lease/LeaseKeepAlive',
  watch: '/etcdserverpb.Watch/Watch',
  status: '/etcdserverpb.Maintenance/Status',
} as const;

/** A channel with a private subchannel pool, so N of them are N TCP connections (etcd's --conns). */
export function openConn(endpoint: string): grpc.Client {
  return new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
  });
}

export function waitConnected(c: grpc.Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + (timeoutMs > 0 ? timeoutMs : 30_000);
  return new Promise((resolve, reject) => c.waitForReady(deadline, (err) => (err ? reject(err) : resolve())));
}

export function unary(c: grpc.Client, method: string, req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void {
  c.makeUnaryRequest(method, identity, identity, req, cb);
}

export function unaryP(c: grpc.Client, method: string, req: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => unary(c, method, req, (err, res) => (err ? reject(err) : resolve(res!))));
}

export function bidi(c: grpc.Client, method: string): grpc.ClientDuplexStream<Buffer, Buffer> {
  return c.makeBidiStreamRequest(method, identity, identity);
}

/** The text etcd's benchmark counts errors by: Go's status.Error string. */
export function errorText(err: unknown): string {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e.code === 'number') {
    const name = grpc.status[e.code] ?? String(e.code);
    const camel = name
      .toLowerCase()
      .split('_')
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
    return `rpc error: code = ${camel} desc = ${e.details ?? ''}`;
  }
  return String((err as Error)?.message ?? err);
}
