// Two members for the fast-path comparison tests: one serving with the fast paths and one
// without them (ETCD_TS_UNARY_FAST_PATH=0, so grpc-js serves every call), each with a raw
// HTTP/2 session. A test runs the same script against both and requires the same
// transcript: response headers, every response message, trailers, grpc_server_* deltas.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { dirname } from 'node:path';
import { delta, grpcSeries, type RawBidiStream } from './grpc-raw.js';
import { removeDir, startMember, stopMember, type Member } from './processes.js';

/** grpc-js logs each call it serves: how a test sees which member grpc-js answered. */
export const TRACE_ENV = { GRPC_TRACE: 'server_call', GRPC_VERBOSITY: 'DEBUG' };

export interface Side {
  member: Member;
  session: http2.ClientHttp2Session;
}

export interface Transcript {
  headers: Record<string, string>;
  responses: unknown[];
  trailers: Record<string, string>;
  metrics: Record<string, number>;
}

export interface FastAndGrpcJs {
  fast: Side;
  slow: Side;
}

/** Starts the pair with the same extra flags; `fastEnv` adds to the fast member's environment. */
export async function startFastAndGrpcJs(extraArgs: string[], fastEnv: Record<string, string> = {}): Promise<FastAndGrpcJs> {
  const [f, s] = await Promise.all([
    startMember('ours', { extraArgs, env: { ...TRACE_ENV, ...fastEnv } }),
    startMember('ours', { extraArgs, env: { ...TRACE_ENV, ETCD_TS_UNARY_FAST_PATH: '0' } }),
  ]);
  return { fast: { member: f, session: http2.connect(f.clientUrl) }, slow: { member: s, session: http2.connect(s.clientUrl) } };
}

export async function stopFastAndGrpcJs(pair: FastAndGrpcJs): Promise<void> {
  for (const side of [pair.fast, pair.slow]) {
    side.session.close();
    await stopMember(side.member);
    removeDir(dirname(side.member.dataDir));
  }
}

/**
 * Opens a stream on `side`, runs `script` on it, waits for the stream to close and records
 * what came back; `normalize` turns one response message into something comparable.
 */
export async function recordTranscript<S extends RawBidiStream>(
  side: Side,
  open: (session: http2.ClientHttp2Session) => S,
  script: (stream: S) => Promise<void>,
  normalize: (message: Buffer) => unknown,
): Promise<Transcript> {
  const before = await grpcSeries(side.member);
  const stream = open(side.session);
  await script(stream);
  await stream.closed;
  return { headers: stream.headers, responses: stream.messages.map(normalize), trailers: stream.trailers, metrics: delta(before, await grpcSeries(side.member)) };
}

/** The same script on both members; returns the fast member's transcript after comparing the two. */
export async function sameOnBoth<S extends RawBidiStream>(
  pair: FastAndGrpcJs,
  open: (session: http2.ClientHttp2Session) => S,
  script: (stream: S, side: Side) => Promise<void>,
  normalize: (message: Buffer) => unknown,
): Promise<Transcript> {
  const f = await recordTranscript(pair.fast, open, (s) => script(s, pair.fast), normalize);
  const s = await recordTranscript(pair.slow, open, (st) => script(st, pair.slow), normalize);
  assert.deepEqual(f.headers, s.headers, 'response headers');
  assert.deepEqual(f.responses, s.responses, 'responses');
  assert.deepEqual(f.trailers, s.trailers, 'trailers');
  assert.deepEqual(f.metrics, s.metrics, 'grpc_server_* deltas');
  return f;
}
