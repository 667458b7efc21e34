// The watch fast path (src/api/watch-fast-path.ts) must answer exactly as grpc-js did: two
// members, one with the fast paths and one without (ETCD_TS_UNARY_FAST_PATH=0), get the same
// raw HTTP/2 watch streams; response headers, every response message, trailers and the
// grpc_server_* metric deltas must match. And a stream whose client stops reading while
// writes go on must still get every event once, in order, once it reads again.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { PutRequest, WatchRequest, WatchResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { frame, RawBidiStream } from '../helpers/grpc-raw.js';
import { sameOnBoth, startFastAndGrpcJs, stopFastAndGrpcJs, type FastAndGrpcJs, type Side, type Transcript } from '../helpers/fast-path-pair.js';

const MAX_REQUEST_BYTES = 10_000;
const MAX_RECEIVE = MAX_REQUEST_BYTES + 512 * 1024;
const WATCH_PATH = '/etcdserverpb.Watch/Watch';

/** What the tests' requests set: the generated fromPartial fills in the rest. */
type WatchRequestFields = Parameters<typeof WatchRequest.fromPartial>[0];

/** One raw watch stream: requests written as gRPC messages, responses split back into messages. */
class RawWatch extends RawBidiStream {
  constructor(session: http2.ClientHttp2Session, extraHeaders: Record<string, string> = {}) {
    super(session, WATCH_PATH, extraHeaders);
  }

  send(request: WatchRequestFields | Buffer): void {
    this.req.write(Buffer.isBuffer(request) ? request : frame(WatchRequest.encode(WatchRequest.fromPartial(request)).finish()));
  }

  /** Waits until `count` responses arrived in all (or the stream closed); returns them decoded. */
  async until(count: number): Promise<WatchResponse[]> {
    await this.waitFor(() => this.messages.length >= count, `${count} watch responses`);
    return this.messages.map((m) => WatchResponse.decode(m));
  }

}

/** A response with the member-specific header ids zeroed, as JSON for comparison. */
function normalized(r: WatchResponse): unknown {
  if (r.header) {
    r.header.clusterId = 0n;
    r.header.memberId = 0n;
  }
  return WatchResponse.toJSON(r);
}

async function put(session: http2.ClientHttp2Session, key: string, value: string): Promise<void> {
  const req = session.request({ ':method': 'POST', ':path': '/etcdserverpb.KV/Put', 'content-type': 'application/grpc', te: 'trailers' });
  req.resume();
  req.end(frame(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) })).finish()));
  await new Promise<void>((resolve, reject) => {
    req.once('close', resolve);
    req.once('error', reject);
  });
}

// By default the client port's HTTP/2 front end serves these streams (h2-front-connection.ts);
// ETCD_TS_H2_FRONT=0 leaves them to node's HTTP/2 streams, the path with the front end off.
for (const [where, env] of [
  ['on the HTTP/2 front end', {}],
  ['on node\'s HTTP/2 streams (ETCD_TS_H2_FRONT=0)', { ETCD_TS_H2_FRONT: '0' }],
] as const) {
  describe(`watch fast path answers as grpc-js does ${where}`, () => {
    let pair: FastAndGrpcJs;

    before(async () => {
      pair = await startFastAndGrpcJs(['--max-request-bytes', String(MAX_REQUEST_BYTES)], env);
    });

    after(() => stopFastAndGrpcJs(pair));

    /** The same script on both members; returns the fast member's transcript after comparing. */
    function same(script: (w: RawWatch, side: Side) => Promise<void>, extraHeaders?: Record<string, string>): Promise<Transcript> {
      return sameOnBoth(pair, (session) => new RawWatch(session, extraHeaders), script, (m) => normalized(WatchResponse.decode(m)));
    }

    it('serves a whole watch session alike: creates, events, progress, cancel, history, half-close', async () => {
      const t = await same(async (w, side) => {
        w.send({ createRequest: { key: Buffer.from('foo') } });
        await w.until(1);
        w.send({ createRequest: { key: Buffer.from('a'), rangeEnd: Buffer.from('z'), prevKv: true } });
        await w.until(2);
        await put(side.session, 'foo', 'bar');
        await w.until(4);
        await put(side.session, 'b', '1');
        await w.until(5);
        await put(side.session, 'foo', 'baz');
        await w.until(7);
        w.send({ progressRequest: {} });
        await w.until(8);
        w.send({ cancelRequest: { watchId: 0n } });
        await w.until(9);
        w.send({ createRequest: { key: Buffer.from('foo'), startRevision: 2n } });
        await w.until(11);
        w.req.end();
      });
      assert.equal(t.responses.length, 11);
      assert.equal(t.trailers['grpc-status'], '0');
      assert.deepEqual(t.metrics['grpc_server_handled_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",grpc_method="Watch",grpc_code="OK"}'], 1);
      assert.doesNotMatch(pair.fast.member.stderr(), /Received call to method \/etcdserverpb\.Watch\//, 'watch streams skipped grpc-js on the fast member');
      assert.match(pair.slow.member.stderr(), /Received call to method \/etcdserverpb\.Watch\/Watch/, 'grpc-js served the other member');
    });

    it('a write seen by many watchers of one stream: one message per watcher, then the status', async () => {
      // The fast path sends a turn's responses as one buffer; the client must still see one
      // gRPC message per watcher, each with its id, and the half-close's status after them.
      const watchers = 12;
      const t = await same(async (w, side) => {
        for (let i = 0; i < watchers; i++) w.send({ createRequest: { key: Buffer.from('fan'), prevKv: i % 2 === 0 } });
        await w.until(watchers);
        await put(side.session, 'fan', 'v1');
        await put(side.session, 'fan', 'v2');
        w.req.end();
        await w.until(3 * watchers);
      });
      assert.equal(t.responses.length, 3 * watchers);
      const ids = t.responses.slice(watchers).map((r) => (r as { watch_id?: string }).watch_id ?? '0');
      const perPut = Array.from({ length: watchers }, (_, i) => String(i));
      assert.deepEqual(ids, [...perPut, ...perPut]);
      assert.equal(t.trailers['grpc-status'], '0');
    });

    it('answers malformed and oversized requests with grpc-js\'s statuses', async () => {
      const garbage = frame(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
      const first = await same(async (w) => {
        w.send(garbage);
        w.req.end();
      });
      assert.deepEqual([first.trailers['grpc-status'] ?? first.headers['grpc-status'], first.responses.length], ['13', 0]);
      const afterCreate = await same(async (w) => {
        w.send({ createRequest: { key: Buffer.from('foo') } });
        await w.until(1);
        w.send(garbage);
        w.req.end();
      });
      assert.equal(afterCreate.trailers['grpc-status'], '13');
      const huge = frame(Buffer.alloc(MAX_RECEIVE + 100));
      const big = await same(async (w) => {
        w.send(huge);
        w.req.end();
      });
      assert.equal(big.headers['grpc-status'], '8');
      assert.equal(decodeURIComponent(big.headers['grpc-message']!), `Received message larger than max (${huge.length - 5} vs ${MAX_RECEIVE})`);
    });

    it('counts a stream the client resets as grpc-js does', async () => {
      const t = await same(async (w) => {
        w.send({ createRequest: { key: Buffer.from('foo') } });
        await w.until(1);
        w.req.close(http2.constants.NGHTTP2_CANCEL);
      });
      assert.equal(t.metrics['grpc_server_started_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",grpc_method="Watch"}'], 1);
      // grpc-js sees the reset as the end of the client's stream: the handler ends it with OK.
      assert.equal(t.metrics['grpc_server_handled_total{grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",grpc_method="Watch",grpc_code="OK"}'], 1);
    });

    it('leaves compressed streams and streams with a deadline to grpc-js', async () => {
      const t = await same(async (w) => {
        w.send({ createRequest: { key: Buffer.from('foo') } });
        await w.until(1);
        w.req.end();
      }, { 'grpc-timeout': '10S' });
      assert.equal(t.trailers['grpc-status'], '0');
    });

    it('a client that stops reading gets every event once, in order, when it reads again', async () => {
      const watchers = 20;
      const puts = 200;
      const w = new RawWatch(pair.fast.session);
      for (let i = 0; i < watchers; i++) w.send({ createRequest: { key: Buffer.from('burst') } });
      await w.until(watchers);
      // Not reading: the stream's window fills, responses queue, watchers fall behind.
      w.req.pause();
      for (let i = 0; i < puts; i++) await put(pair.fast.session, 'burst', `v${i}`);
      w.req.resume();
      // The last put is a marker: once every watcher has it, a duplicate would already be in.
      await put(pair.fast.session, 'burst', 'end');
      const values = new Map<bigint, string[]>();
      let markers = 0;
      let decoded = watchers;
      await w.waitFor(() => {
        for (; decoded < w.messages.length; decoded++) {
          const r = WatchResponse.decode(w.messages[decoded]!);
          for (const e of r.events) {
            const v = Buffer.from(e.kv!.value).toString();
            if (v === 'end') markers++;
            values.set(r.watchId, [...(values.get(r.watchId) ?? []), v]);
          }
        }
        return markers === watchers;
      }, `the end marker on all ${watchers} watchers`);
      // Events may come batched (caught up from the backend) but never twice or out of order.
      const want = [...Array.from({ length: puts }, (_, i) => `v${i}`), 'end'];
      assert.equal(values.size, watchers);
      for (const [id, got] of values) assert.deepEqual(got, want, `watcher ${id}`);
      w.req.close();
    });
  });
}
