// The keep-alive fast path (src/api/lease-keepalive-fast-path.ts) must answer exactly as
// grpc-js did: two members, one with the fast paths and one without
// (ETCD_TS_UNARY_FAST_PATH=0), get the same raw HTTP/2 keep-alive streams; response
// headers, every response message, trailers and the grpc_server_* metric deltas must match.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { LeaseGrantRequest, LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseRevokeRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { frame, RawBidiStream } from '../helpers/grpc-raw.js';
import { sameOnBoth, startFastAndGrpcJs, stopFastAndGrpcJs, type FastAndGrpcJs, type Side, type Transcript } from '../helpers/fast-path-pair.js';

const MAX_REQUEST_BYTES = 10_000;
const MAX_RECEIVE = MAX_REQUEST_BYTES + 512 * 1024;
const KEEP_ALIVE_PATH = '/etcdserverpb.Lease/LeaseKeepAlive';
const LEASE = 0x694d77a1c2b0d40bn;
const TTL_SEC = 60n;

/** One raw keep-alive stream: requests written as gRPC messages, responses split back into messages. */
class RawKeepAlive extends RawBidiStream {
  constructor(session: http2.ClientHttp2Session, extraHeaders: Record<string, string> = {}) {
    super(session, KEEP_ALIVE_PATH, extraHeaders);
  }

  /** Keep-alives for `ids`, all in one DATA write. */
  send(...ids: bigint[]): void {
    this.req.write(frame(...ids.map((ID) => LeaseKeepAliveRequest.encode({ ID }).finish())));
  }

  /** Waits until `count` responses arrived in all (or the stream closed). */
  until(count: number): Promise<void> {
    return this.waitFor(() => this.messages.length >= count, `${count} keep-alive responses`);
  }
}

/** A response with the member-specific header ids zeroed, as JSON for comparison. */
function normalized(m: Buffer): unknown {
  const r = LeaseKeepAliveResponse.decode(m);
  if (r.header) {
    r.header.clusterId = 0n;
    r.header.memberId = 0n;
  }
  return LeaseKeepAliveResponse.toJSON(r);
}

async function unary(session: http2.ClientHttp2Session, path: string, body: Uint8Array): Promise<void> {
  const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  let status = '';
  req.on('trailers', (t) => (status = String(t['grpc-status'])));
  req.resume();
  req.end(frame(body));
  await new Promise<void>((resolve, reject) => {
    req.once('close', resolve);
    req.once('error', reject);
  });
  assert.equal(status, '0', `${path} answered OK`);
}

const handledOk = 'grpc_server_handled_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Lease",grpc_method="LeaseKeepAlive",grpc_code="OK"}';

// By default the client port's HTTP/2 front end serves these streams (h2-front-connection.ts);
// ETCD_TS_H2_FRONT=0 leaves them to node's HTTP/2 streams, the path with the front end off.
for (const [where, env] of [
  ['on the HTTP/2 front end', {}],
  ['on node\'s HTTP/2 streams (ETCD_TS_H2_FRONT=0)', { ETCD_TS_H2_FRONT: '0' }],
] as const) {
  describe(`lease keep-alive fast path answers as grpc-js does ${where}`, () => {
    let pair: FastAndGrpcJs;

    before(async () => {
      pair = await startFastAndGrpcJs(['--max-request-bytes', String(MAX_REQUEST_BYTES)], env);
      for (const side of [pair.fast, pair.slow]) await unary(side.session, '/etcdserverpb.Lease/LeaseGrant', LeaseGrantRequest.encode({ ID: LEASE, TTL: TTL_SEC }).finish());
    });

    after(() => stopFastAndGrpcJs(pair));

    /** The same script on both members; returns the fast member's transcript after comparing. */
    function same(script: (k: RawKeepAlive, side: Side) => Promise<void>, extraHeaders?: Record<string, string>): Promise<Transcript> {
      return sameOnBoth(pair, (session) => new RawKeepAlive(session, extraHeaders), script, normalized);
    }

    it('renews a lease, answers TTL 0 for an unknown one, in order, then OK on half-close', async () => {
      const t = await same(async (k) => {
        k.send(LEASE);
        await k.until(1);
        k.send(12345n, LEASE, -7n, 0n);
        await k.until(5);
        k.req.end();
      });
      const ttls = t.responses.map((r) => (r as { TTL?: string }).TTL ?? '0');
      assert.deepEqual(ttls, [String(TTL_SEC), '0', String(TTL_SEC), '0', '0']);
      assert.equal((t.responses[1] as { ID?: string }).ID, '12345');
      assert.equal(t.trailers['grpc-status'], '0');
      assert.equal(t.metrics[handledOk], 1);
      assert.doesNotMatch(pair.fast.member.stderr(), /Received call to method \/etcdserverpb\.Lease\/LeaseKeepAlive/, 'keep-alive streams skipped grpc-js on the fast member');
      assert.match(pair.slow.member.stderr(), /Received call to method \/etcdserverpb\.Lease\/LeaseKeepAlive/, 'grpc-js served the other member');
    });

    it('many keep-alives in one DATA chunk: one message each, in order, then the status', async () => {
      const n = 40;
      const ids = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1000n + BigInt(i) : LEASE));
      const t = await same(async (k) => {
        k.send(...ids);
        k.req.end();
        await k.until(n);
      });
      assert.deepEqual(
        t.responses.map((r) => (r as { ID?: string }).ID),
        ids.map(String),
      );
      assert.equal(t.trailers['grpc-status'], '0');
    });

    it('answers TTL 0 once the lease is revoked', async () => {
      const revoked = 4242n;
      for (const side of [pair.fast, pair.slow]) {
        await unary(side.session, '/etcdserverpb.Lease/LeaseGrant', LeaseGrantRequest.encode({ ID: revoked, TTL: TTL_SEC }).finish());
        await unary(side.session, '/etcdserverpb.Lease/LeaseRevoke', LeaseRevokeRequest.encode({ ID: revoked }).finish());
      }
      const t = await same(async (k) => {
        k.send(revoked);
        await k.until(1);
        k.req.end();
      });
      assert.equal((t.responses[0] as { TTL?: string }).TTL, undefined);
    });

    it("answers malformed and oversized requests with grpc-js's statuses", async () => {
      const garbage = frame(Buffer.from([0x08, 0xff, 0xff]));
      const first = await same(async (k) => {
        k.req.write(garbage);
        k.req.end();
      });
      assert.deepEqual([first.trailers['grpc-status'] ?? first.headers['grpc-status'], first.responses.length], ['13', 0]);
      const afterOne = await same(async (k) => {
        k.send(LEASE);
        await k.until(1);
        k.req.write(garbage);
        k.req.end();
      });
      assert.equal(afterOne.trailers['grpc-status'], '13');
      const huge = frame(Buffer.alloc(MAX_RECEIVE + 100));
      const big = await same(async (k) => {
        k.req.write(huge);
        k.req.end();
      });
      assert.equal(big.headers['grpc-status'], '8');
    });

    it('counts a stream the client resets as grpc-js does', async () => {
      const t = await same(async (k) => {
        k.send(LEASE);
        await k.until(1);
        k.req.close(http2.constants.NGHTTP2_CANCEL);
      });
      assert.equal(t.metrics['grpc_server_started_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Lease",grpc_method="LeaseKeepAlive"}'], 1);
    });

    it('leaves compressed streams and streams with a deadline to grpc-js', async () => {
      const t = await same(async (k) => {
        k.send(LEASE);
        await k.until(1);
        k.req.end();
      }, { 'grpc-timeout': '10S' });
      assert.equal(t.trailers['grpc-status'], '0');
    });
  });
}
