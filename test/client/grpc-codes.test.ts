import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GrpcCode } from '../../src/client/grpc-codes.js';
import { GRPC_CODE_NAMES } from '../../src/client/errors.js';

test('the plain gRPC codes are grpc-js status codes, and every code has its Go name', () => {
  for (const [name, code] of Object.entries(GrpcCode)) assert.equal(code, status[name as keyof typeof status], name);
  assert.equal(Object.keys(GrpcCode).length, GRPC_CODE_NAMES.length);
});
