import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GRPC_CODE_NAMES, GrpcCode } from '../../src/pkg/grpc-codes.js';

/** grpc-js's constant name for a Go code name: DeadlineExceeded -> DEADLINE_EXCEEDED (Go spells Canceled with one L). */
function grpcJsName(goName: string): string {
  return goName === 'Canceled' ? 'CANCELLED' : goName.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

test('the plain gRPC codes are grpc-js status codes, and every code has its Go name', () => {
  for (const [name, code] of Object.entries(GrpcCode)) {
    assert.equal(code, status[grpcJsName(name) as keyof typeof status], name);
    assert.equal(GRPC_CODE_NAMES[code], name);
  }
  assert.equal(GRPC_CODE_NAMES.length, 17);
  assert.deepEqual(GRPC_CODE_NAMES.slice(0, 5), ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded']);
});
