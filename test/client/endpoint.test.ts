// Endpoint strings as etcdctl users write them, and the grpc-js targets they become.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointError, parseEndpoint } from '../../src/client/endpoint.js';

test('endpoints in every form etcdctl accepts map to a grpc-js target', () => {
  const table: [string, { address: string; target: string; secure: boolean }][] = [
    ['127.0.0.1:2379', { address: '127.0.0.1:2379', target: 'dns:127.0.0.1:2379', secure: false }],
    ['localhost:2379', { address: 'localhost:2379', target: 'dns:localhost:2379', secure: false }],
    ['http://10.0.0.1:2379', { address: '10.0.0.1:2379', target: 'dns:10.0.0.1:2379', secure: false }],
    ['http://10.0.0.1:2379/', { address: '10.0.0.1:2379', target: 'dns:10.0.0.1:2379', secure: false }],
    ['https://etcd.example:2379', { address: 'etcd.example:2379', target: 'dns:etcd.example:2379', secure: true }],
    ['http://[::1]:2379', { address: '[::1]:2379', target: 'dns:[::1]:2379', secure: false }],
    ['unix://localhost:2379', { address: 'localhost:2379', target: 'unix:localhost:2379', secure: false }],
    ['unix:///run/etcd.sock', { address: '/run/etcd.sock', target: 'unix:/run/etcd.sock', secure: false }],
    ['unixs:///run/etcd.sock', { address: '/run/etcd.sock', target: 'unix:/run/etcd.sock', secure: true }],
  ];
  for (const [raw, want] of table) {
    const got = parseEndpoint(raw);
    assert.deepEqual({ address: got.address, target: got.target, secure: got.secure }, want, raw);
    assert.equal(got.raw, raw);
  }
});

test('malformed endpoints are refused with the reason', () => {
  assert.throws(() => parseEndpoint(''), EndpointError);
  assert.throws(() => parseEndpoint('ftp://h:1'), /unsupported scheme "ftp"/);
  assert.throws(() => parseEndpoint('http://h:1/path'), /want http:\/\/host:port/);
  assert.throws(() => parseEndpoint('unix://'), /no socket path/);
});
