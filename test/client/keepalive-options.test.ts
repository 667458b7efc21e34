// etcdctl's --keepalive-time and --keepalive-timeout reach the gRPC channel as grpc-go
// would use them: the ping interval is never under 10 s (etcdctl's 2s default becomes 10 s,
// as `etcdctl --debug` reports: "Adjusting keepalive ping interval to minimum period of
// 10s"), the timeout is taken as given.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepAliveOptions, KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from '../../src/client/connection.js';
import { keepAliveFlags, GLOBAL_FLAGS } from '../../src/cli/etcdctl/global-flags.js';
import { FlagValues, parseFlags } from '../../src/cli/etcdctl/flags.js';

function channelOptionsFor(args: string[]): ReturnType<typeof keepAliveOptions> {
  const values = new FlagValues(GLOBAL_FLAGS);
  parseFlags(args, values);
  return keepAliveOptions(keepAliveFlags(values));
}

test("etcdctl's keep-alive flags set the channel's ping interval and timeout", () => {
  assert.deepEqual(channelOptionsFor([]), { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 6_000 });
  assert.deepEqual(channelOptionsFor(['--keepalive-time=30s', '--keepalive-timeout=1s']), { 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 1_000 });
  assert.deepEqual(channelOptionsFor(['--keepalive-time', '500ms', '--keepalive-timeout', '2m']), { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 120_000 });
});

test('a client given no keep-alive keeps the library default', () => {
  assert.deepEqual(keepAliveOptions(undefined), { 'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS, 'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS });
});
