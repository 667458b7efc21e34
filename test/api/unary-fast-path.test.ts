// The unary fast path (src/api/unary-fast-path.ts) must answer exactly as grpc-js did: two
// members, one with the fast path and one without (ETCD_TS_UNARY_FAST_PATH=0), get the same
// raw HTTP/2 requests; their response headers, DATA bytes, trailers and grpc_server_* metric
// deltas must match. grpc-js's server_call trace (on in both) shows which path served a call.
// The response headers' date is compared apart (it may turn to the next second between the
// two calls). By default the calls are answered by the client port's HTTP/2 front end
// (h2-front-connection.ts); the same calls are checked again on node's own HTTP/2 streams
// (ETCD_TS_H2_FRONT=0), with h2-respond-now.ts and with node's stream.respond
// (ETCD_TS_RESPOND_NOW=0).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  AlarmRequest,
  AlarmResponse,
  AuthenticateRequest,
  AuthenticateResponse,
  AuthStatusRequest,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  MemberListRequest,
  StatusRequest,
  AuthUserGetRequest,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../../src/gen/etcdserverpb/rpc.js';
import { LockRequest, LockResponse } from '../../src/gen/v3lockpb/v3lock.js';
import { LeaderRequest } from '../../src/gen/v3electionpb/v3election.js';
import { etcdctl, freePort, OUR_ETCD, removeDir, startMember, stopMember, tempDir, type Member } from '../helpers/processes.js';
import { startFastAndGrpcJs, stopFastAndGrpcJs, TRACE_ENV, type FastAndGrpcJs } from '../helpers/fast-path-pair.js';
import { delta, frame, grpcSeries, headerRecord } from '../helpers/grpc-raw.js';

const MAX_REQUEST_BYTES = 10_000;
/** grpc-js's receive limit on the client port: --max-request-bytes plus etcd's 512 KiB of room. */
const MAX_RECEIVE = MAX_REQUEST_BYTES + 512 * 1024;

interface Reply {
  headers: Record<string, string>;
  trailers: Record<string, string>;
  data: Buffer;
  /** The response headers' date (not in `headers`). */
  date: string | undefined;
}

/** An HTTP date as node writes it (Date.toUTCString). */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

/** A reply without its date, for comparing replies made at different times. */
function undated(r: Reply): Reply {
  return { ...r, date: undefined };
}

interface CallOptions {
  headers?: Record<string, string>;
  /** Keep the request open until the response headers arrive (for an expiring deadline). */
  endAfterResponse?: boolean;
  /** The reply carries member-specific fields (ids, URLs, sizes): compare all but its DATA. */
  ignoreData?: boolean;
}

async function call(session: http2.ClientHttp2Session, path: string, body: Buffer, opts: CallOptions = {}): Promise<Reply> {
  const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...opts.headers });
  const chunks: Buffer[] = [];
  let headers: Record<string, string> = {};
  let trailers: Record<string, string> = {};
  let date: string | undefined;
  req.on('response', (h) => {
    headers = headerRecord(h);
    date = h.date;
    if (opts.endAfterResponse) req.end(body);
  });
  req.on('trailers', (t) => (trailers = headerRecord(t)));
  req.on('data', (c: Buffer) => chunks.push(c));
  if (!opts.endAfterResponse) req.end(body);
  await new Promise<void>((resolve, reject) => {
    req.once('close', resolve);
    req.once('error', reject);
  });
  return { headers, trailers, data: Buffer.concat(chunks), date };
}

/** Decodes DATA as the response type with the member-specific header ids zeroed, re-encoded. */
type Codec = { decode(b: Uint8Array): { header?: { clusterId: bigint; memberId: bigint } | undefined }; encode(m: never): { finish(): Uint8Array } };
function normalized(reply: Reply, codec: Codec | undefined): Reply {
  if (codec === undefined || reply.data.length < 5) return reply;
  const msg = codec.decode(reply.data.subarray(5));
  if (msg.header) {
    msg.header.clusterId = 0n;
    msg.header.memberId = 0n;
  }
  const body = Buffer.from(codec.encode(msg as never).finish());
  assert.equal(reply.data.readUInt32BE(1), reply.data.length - 5, 'one whole message');
  return { ...reply, data: frame(body) };
}

/** Sends the same call to both members; returns the fast path's reply after checking they match. */
async function same(p: FastAndGrpcJs, path: string, body: Buffer, codec?: Codec, opts?: CallOptions): Promise<Reply> {
  const [fb, sb] = [await grpcSeries(p.fast.member), await grpcSeries(p.slow.member)];
  const fast = normalized(await call(p.fast.session, path, body, opts), codec);
  const slow = normalized(await call(p.slow.session, path, body, opts), codec);
  assert.deepEqual(fast.headers, slow.headers, `${path}: response headers`);
  // The same date, but for a second boundary between the two calls. Either side may be the
  // later one: node refreshes its cached date from a timer, which a loaded loop runs late,
  // so grpc-js's answer can carry the previous second after ours carried the next.
  assert.match(fast.date ?? '', HTTP_DATE, `${path}: date`);
  assert.match(slow.date ?? '', HTTP_DATE, `${path}: date`);
  const apart = Date.parse(slow.date!) - Date.parse(fast.date!);
  assert.ok(Math.abs(apart) <= 1000, `${path}: dates ${fast.date} and ${slow.date}`);
  assert.deepEqual(fast.trailers, slow.trailers, `${path}: trailers`);
  if (!opts?.ignoreData) assert.deepEqual(fast.data, slow.data, `${path}: response bytes`);
  else assert.equal(fast.data.length > 0, slow.data.length > 0, `${path}: a message or none`);
  assert.deepEqual(delta(fb, await grpcSeries(p.fast.member)), delta(sb, await grpcSeries(p.slow.member)), `${path}: grpc_server_* deltas`);
  return fast;
}

function statusOf(r: Reply): { code: string | undefined; message: string | undefined } {
  const h = r.trailers['grpc-status'] !== undefined ? r.trailers : r.headers;
  return { code: h['grpc-status'], message: h['grpc-message'] === undefined ? undefined : decodeURIComponent(h['grpc-message']) };
}

const KV = '/etcdserverpb.KV';
const put = (key: string, value: string | Buffer, extra: Partial<PutRequest> = {}) =>
  frame(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value), ...extra })).finish());

describe('unary gRPC fast path answers as grpc-js does', () => {
  let p: FastAndGrpcJs;

  before(async () => {
    p = await startFastAndGrpcJs(['--max-request-bytes', String(MAX_REQUEST_BYTES)]);
  });

  after(() => stopFastAndGrpcJs(p));

  it('serves each KV method alike, through the fast path on one member only', async () => {
    const before = await grpcSeries(p.fast.member);
    const r = await same(p, `${KV}/Put`, put('foo', 'bar'), PutResponse);
    assert.deepEqual(statusOf(r), { code: '0', message: 'OK' });
    const handled = 'grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put",grpc_code="OK"}';
    assert.equal((await grpcSeries(p.fast.member)).get(handled)! - (before.get(handled) ?? 0), 1);

    await same(p, `${KV}/Put`, put('foo', 'baz', { prevKv: true }), PutResponse);
    await same(p, `${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('foo') })).finish()), RangeResponse);
    await same(p, `${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('a'), rangeEnd: Buffer.from('z'), serializable: true })).finish()), RangeResponse);
    await same(p, `${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('missing') })).finish()), RangeResponse);
    const txn = TxnRequest.fromPartial({
      compare: [{ key: Buffer.from('foo'), target: 3 /* VALUE */, result: 0, value: Buffer.from('baz') }],
      success: [{ requestPut: { key: Buffer.from('t'), value: Buffer.from('1') } }, { requestRange: { key: Buffer.from('foo') } }],
      failure: [{ requestDeleteRange: { key: Buffer.from('foo') } }],
    });
    await same(p, `${KV}/Txn`, frame(TxnRequest.encode(txn).finish()), TxnResponse);
    await same(p, `${KV}/DeleteRange`, frame(DeleteRangeRequest.encode(DeleteRangeRequest.fromPartial({ key: Buffer.from('t'), prevKv: true })).finish()), DeleteRangeResponse);
    await same(p, `${KV}/DeleteRange`, frame(DeleteRangeRequest.encode(DeleteRangeRequest.fromPartial({ key: Buffer.from('nothing') })).finish()), DeleteRangeResponse);
    await same(p, `${KV}/Compact`, frame(CompactionRequest.encode(CompactionRequest.fromPartial({ revision: 2n })).finish()), CompactionResponse);
    // An empty message is a valid request (key "" is refused by etcd's checks).
    await same(p, `${KV}/Range`, frame(new Uint8Array()), RangeResponse);

    assert.doesNotMatch(p.fast.member.stderr(), /Received call to method \/etcdserverpb\.KV\//, 'KV calls skipped grpc-js on the fast member');
    assert.match(p.slow.member.stderr(), /Received call to method \/etcdserverpb\.KV\/Put/, 'grpc-js served the other member');
  });

  it('gives etcd errors the same status, message and counts', async () => {
    const cases: [string, Buffer, string, string][] = [
      [`${KV}/Put`, put('k', 'v', { lease: 1234n }), '5', 'etcdserver: requested lease not found'],
      [`${KV}/Compact`, frame(CompactionRequest.encode(CompactionRequest.fromPartial({ revision: 1000n })).finish()), '11', 'etcdserver: mvcc: required revision is a future revision'],
      [`${KV}/Compact`, frame(CompactionRequest.encode(CompactionRequest.fromPartial({ revision: 1n })).finish()), '11', 'etcdserver: mvcc: required revision has been compacted'],
      [`${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('foo'), revision: 1n })).finish()), '11', 'etcdserver: mvcc: required revision has been compacted'],
      [`${KV}/Put`, put('', 'v'), '3', 'etcdserver: key is not provided'],
      [`${KV}/Put`, put('big', Buffer.alloc(MAX_REQUEST_BYTES + 100)), '3', 'etcdserver: request is too large'],
    ];
    const huge = put('huge', Buffer.alloc(MAX_RECEIVE + 100));
    cases.push([`${KV}/Put`, huge, '8', `Received message larger than max (${huge.length - 5} vs ${MAX_RECEIVE})`]);
    const ops = Array.from({ length: 129 }, (_, i) => ({ requestPut: { key: Buffer.from(`k${i}`), value: Buffer.from('v') } }));
    cases.push([`${KV}/Txn`, frame(TxnRequest.encode(TxnRequest.fromPartial({ success: ops })).finish()), '3', 'etcdserver: too many operations in txn request']);
    for (const [path, body, code, message] of cases) {
      const r = await same(p, path, body);
      assert.deepEqual(statusOf(r), { code, message }, path);
      assert.equal(r.data.length, 0);
    }
  });

  it('answers malformed calls as grpc-js does', async () => {
    const malformed = await same(p, `${KV}/Put`, frame(Buffer.from([0x0a, 0xff, 0xff, 0xff])));
    assert.deepEqual(statusOf(malformed), { code: '13', message: 'Error deserializing request' });
    const none = await same(p, `${KV}/Put`, Buffer.alloc(0));
    assert.equal(statusOf(none).code, '12');
    const two = await same(p, `${KV}/Put`, Buffer.concat([put('a', '1'), put('b', '2')]));
    assert.equal(statusOf(two).code, '12');
    const truncated = await same(p, `${KV}/Put`, put('a', '1').subarray(0, 8));
    assert.equal(statusOf(truncated).code, '12');
    // Left to grpc-js: an unknown method, a malformed deadline, a compressed request.
    assert.equal(statusOf(await same(p, `${KV}/Nope`, put('a', '1'))).code, '12');
    await same(p, `${KV}/Put`, put('a', '1'), PutResponse, { headers: { 'grpc-timeout': 'soon' } });
    const compressed = put('a', '1');
    compressed[0] = 1;
    const snappy = await same(p, `${KV}/Put`, compressed, undefined, { headers: { 'grpc-encoding': 'snappy' } });
    assert.deepEqual(statusOf(snappy), { code: '12', message: 'Received message compressed with unsupported encoding "snappy"' });
  });

  it('expires a call whose grpc-timeout passes before its request is complete', async () => {
    const r = await same(p, `${KV}/Put`, put('late', '1'), undefined, { headers: { 'grpc-timeout': '1m' }, endAfterResponse: true });
    assert.deepEqual(statusOf(r), { code: '4', message: 'Deadline exceeded' });
    // A generous deadline changes nothing.
    const ok = await same(p, `${KV}/Put`, put('timely', '1'), PutResponse, { headers: { 'grpc-timeout': '10S' } });
    assert.equal(statusOf(ok).code, '0');
  });

  it('serves the other services\' unary methods alike', async () => {
    const msg = <T,>(type: { encode(m: T): { finish(): Uint8Array }; fromPartial(o: never): T }, o: object) => frame(type.encode(type.fromPartial(o as never)).finish());
    const ok = async (path: string, body: Buffer, codec?: Codec, opts?: CallOptions) => {
      const r = await same(p, path, body, codec, opts);
      assert.deepEqual(statusOf(r), { code: '0', message: 'OK' }, path);
    };
    await ok('/etcdserverpb.Lease/LeaseGrant', msg(LeaseGrantRequest, { TTL: 100n, ID: 7n }), LeaseGrantResponse);
    await ok('/etcdserverpb.Lease/LeaseGrant', msg(LeaseGrantRequest, { TTL: 100n, ID: 8n }), LeaseGrantResponse);
    await ok('/etcdserverpb.Lease/LeaseLeases', msg(LeaseLeasesRequest, {}), LeaseLeasesResponse);
    await ok('/etcdserverpb.Maintenance/Status', msg(StatusRequest, {}), undefined, { ignoreData: true });
    await ok('/etcdserverpb.Maintenance/Alarm', msg(AlarmRequest, {}), AlarmResponse);
    await ok('/etcdserverpb.Cluster/MemberList', msg(MemberListRequest, {}), undefined, { ignoreData: true });
    await ok('/etcdserverpb.Auth/AuthStatus', msg(AuthStatusRequest, {}), undefined, { ignoreData: true });
    const errors: [string, Buffer, string, string][] = [
      ['/etcdserverpb.Lease/LeaseRevoke', msg(LeaseRevokeRequest, { ID: 99n }), '5', 'etcdserverpb: requested lease not found'],
      ['/etcdserverpb.Lease/LeaseGrant', msg(LeaseGrantRequest, { TTL: 100n, ID: 7n }), '9', 'etcdserver: lease already exists'],
      ['/etcdserverpb.Auth/UserGet', msg(AuthUserGetRequest, { name: 'nobody' }), '9', 'etcdserver: user name not found'],
      // The code is whatever the lock service gives today (the two paths must agree on it).
      ['/v3lockpb.Lock/Lock', msg(LockRequest, { name: Buffer.from('L'), lease: 99n }), '', 'etcdserver: requested lease not found'],
      ['/v3electionpb.Election/Leader', msg(LeaderRequest, { name: Buffer.from('E') }), '2', 'election: no leader'],
    ];
    for (const [path, body, code, message] of errors) {
      const r = await same(p, path, body);
      if (code !== '') assert.equal(statusOf(r).code, code, `${path}: ${statusOf(r).message}`);
      assert.equal(statusOf(r).message?.replace('etcdserverpb', 'etcdserver'), message.replace('etcdserverpb', 'etcdserver'), path);
    }
    // A waiter whose deadline passes withdraws from the lock's queue (the handler hears 'cancelled').
    await ok('/v3lockpb.Lock/Lock', msg(LockRequest, { name: Buffer.from('L'), lease: 7n }), LockResponse);
    const late = await same(p, '/v3lockpb.Lock/Lock', msg(LockRequest, { name: Buffer.from('L'), lease: 8n }), undefined, { headers: { 'grpc-timeout': '300m' } });
    assert.deepEqual(statusOf(late), { code: '4', message: 'Deadline exceeded' });
    for (const m of [p.fast.member, p.slow.member]) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = etcdctl('real', ['--endpoints', m.endpoint, 'get', '--prefix', '--keys-only', 'L/']);
        if (r.stdout.trim().split('\n').filter((l) => l !== '').length === 1) break;
        assert.ok(Date.now() < deadline, `the late waiter's key stays on ${m.endpoint}: ${r.stdout}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    for (const path of ['Lease/LeaseGrant', 'Maintenance/Status', 'Cluster/MemberList', 'Auth/UserGet']) {
      assert.doesNotMatch(p.fast.member.stderr(), new RegExp(`Received call to method /etcdserverpb\\.${path}`), path);
      assert.match(p.slow.member.stderr(), new RegExp(`Received call to method /etcdserverpb\\.${path}`), path);
    }
    assert.doesNotMatch(p.fast.member.stderr(), /Received call to method \/v3lockpb\.Lock\/Lock/);
  });

  it('reads the auth token from the request metadata', async () => {
    for (const m of [p.fast.member, p.slow.member]) {
      for (const args of [['user', 'add', 'root:pw'], ['auth', 'enable']]) {
        const r = etcdctl('real', ['--endpoints', m.endpoint, ...args]);
        assert.equal(r.status, 0, r.stderr);
      }
    }
    const noToken = await same(p, `${KV}/Put`, put('a', '1'));
    assert.deepEqual(statusOf(noToken), { code: '3', message: 'etcdserver: user name is empty' });
    const bad = await same(p, `${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('a') })).finish()), undefined, { headers: { token: 'nonsense' } });
    assert.equal(statusOf(bad).message, 'etcdserver: invalid auth token');
    const auth = frame(AuthenticateRequest.encode({ name: 'root', password: 'pw' }).finish());
    const tokens: string[] = [];
    for (const s of [p.fast.session, p.slow.session]) {
      const r = await call(s, '/etcdserverpb.Auth/Authenticate', auth);
      tokens.push(AuthenticateResponse.decode(r.data.subarray(5)).token);
    }
    const [fastReply, slowReply] = [
      normalized(await call(p.fast.session, `${KV}/Put`, put('a', '1'), { headers: { token: tokens[0]! } }), PutResponse),
      normalized(await call(p.slow.session, `${KV}/Put`, put('a', '1'), { headers: { token: tokens[1]! } }), PutResponse),
    ];
    assert.deepEqual(undated(fastReply), undated(slowReply));
    assert.deepEqual(statusOf(fastReply), { code: '0', message: 'OK' });
  });
});

for (const [title, env] of [
  ['on node\'s HTTP/2 streams (ETCD_TS_H2_FRONT=0)', { ETCD_TS_H2_FRONT: '0' }],
  ['on node\'s HTTP/2 streams with node\'s own respond (ETCD_TS_H2_FRONT=0 ETCD_TS_RESPOND_NOW=0)', { ETCD_TS_H2_FRONT: '0', ETCD_TS_RESPOND_NOW: '0' }],
] as const) {
  describe(`unary gRPC fast path ${title}`, () => {
    let p: FastAndGrpcJs;

    before(async () => {
      p = await startFastAndGrpcJs([], env);
    });

    after(() => stopFastAndGrpcJs(p));

    it('answers as grpc-js does', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await same(p, `${KV}/Put`, put('foo', `v${i}`, { prevKv: true }), PutResponse);
        assert.deepEqual(statusOf(r), { code: '0', message: 'OK' });
      }
      await same(p, `${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('foo') })).finish()), RangeResponse);
      await same(p, '/etcdserverpb.Lease/LeaseGrant', frame(LeaseGrantRequest.encode(LeaseGrantRequest.fromPartial({ TTL: 100n, ID: 7n })).finish()), LeaseGrantResponse);
      const missing = await same(p, `${KV}/Put`, put('k', 'v', { lease: 1234n }));
      assert.deepEqual(statusOf(missing), { code: '5', message: 'etcdserver: requested lease not found' });
      assert.doesNotMatch(p.fast.member.stderr(), /Received call to method \/etcdserverpb\.KV\//, 'still the fast path');
    });
  });
}

describe('unary gRPC fast path on a learner', () => {
  let voter: Member;
  let learner: Member | undefined;
  let dir: string;
  let learnerPeer: string;
  let learnerClientPort: number;

  /** Starts the learner (same dirs and ports each time), with or without the fast path. */
  async function startLearner(fastPath: boolean): Promise<Member> {
    const clientUrl = `http://127.0.0.1:${learnerClientPort}`;
    const args = [
      '--name', 'l1', '--data-dir', join(dir, 'l1'),
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', learnerPeer, '--initial-advertise-peer-urls', learnerPeer,
      '--initial-cluster', `default=${voter.args[voter.args.indexOf('--listen-peer-urls') + 1]},l1=${learnerPeer}`,
      '--initial-cluster-state', 'existing',
    ];
    const env = { ...process.env, ...TRACE_ENV, ...(fastPath ? {} : { ETCD_TS_UNARY_FAST_PATH: '0' }) };
    const proc = spawn(process.execPath, [OUR_ETCD, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const m: Member = { kind: 'ours', proc, clientUrl, endpoint: `127.0.0.1:${learnerClientPort}`, dataDir: join(dir, 'l1'), stderr: () => err, args };
    // Ready once it serves a serializable range (a learner serves nothing else).
    const deadline = Date.now() + 30_000;
    const probe = frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('x'), serializable: true })).finish());
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`learner exited: ${err}`);
      const session = http2.connect(clientUrl);
      session.on('error', () => {});
      const ok = await call(session, `${KV}/Range`, probe).then((r) => statusOf(r).code === '0', () => false);
      session.close();
      if (ok) return m;
      if (Date.now() > deadline) throw new Error(`learner not serving: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  before(async () => {
    dir = tempDir('fastpath-learner-');
    voter = await startMember('ours', { dataDir: join(dir, 'voter') });
    learnerPeer = `http://127.0.0.1:${await freePort()}`;
    learnerClientPort = await freePort();
    const r = etcdctl('real', ['--endpoints', voter.endpoint, 'member', 'add', 'l1', '--learner', `--peer-urls=${learnerPeer}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(etcdctl('real', ['--endpoints', voter.endpoint, 'put', 'x', '1']).status, 0);
  });

  after(async () => {
    if (learner) await stopMember(learner);
    await stopMember(voter);
    removeDir(dir);
  });

  it('refuses what a learner does not serve, as the learner gate does', async () => {
    const requests: [string, Buffer, Codec | undefined][] = [
      [`${KV}/Put`, put('a', '1'), undefined],
      [`${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('x') })).finish()), undefined],
      [`${KV}/Range`, frame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('x'), serializable: true })).finish()), RangeResponse],
      [`${KV}/Txn`, frame(TxnRequest.encode(TxnRequest.fromPartial({})).finish()), undefined],
    ];
    const replies: { fastPath: boolean; replies: Reply[]; metrics: Record<string, number>[] }[] = [];
    for (const fastPath of [true, false]) {
      learner = await startLearner(fastPath);
      const session = http2.connect(learner.clientUrl);
      const out: Reply[] = [];
      const metrics: Record<string, number>[] = [];
      for (const [path, body, codec] of requests) {
        const before = await grpcSeries(learner);
        out.push(normalized(await call(session, path, body), codec));
        metrics.push(delta(before, await grpcSeries(learner)));
      }
      session.close();
      if (fastPath) assert.doesNotMatch(learner.stderr(), /Received call to method \/etcdserverpb\.KV\/Put/);
      else assert.match(learner.stderr(), /Received call to method \/etcdserverpb\.KV\/Put/);
      await stopMember(learner);
      learner = undefined;
      replies.push({ fastPath, replies: out, metrics });
    }
    const [fast, slow] = replies;
    assert.deepEqual(statusOf(fast!.replies[0]!), { code: '14', message: 'etcdserver: rpc not supported for learner' });
    assert.deepEqual(statusOf(fast!.replies[1]!), { code: '14', message: 'etcdserver: rpc not supported for learner' });
    assert.deepEqual(statusOf(fast!.replies[2]!), { code: '0', message: 'OK' });
    for (let i = 0; i < requests.length; i++) {
      assert.deepEqual(undated(fast!.replies[i]!), undated(slow!.replies[i]!), requests[i]![0]);
      assert.deepEqual(fast!.metrics[i], slow!.metrics[i], requests[i]![0]);
    }
  });
});
