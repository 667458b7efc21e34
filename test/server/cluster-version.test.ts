// The cluster version outlives the raft entry that set it: a restarted member, or one
// whose backend came from a raft snapshot, reports it without the leader setting it again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Backend } from '../../src/storage/backend.js';
import { loadBackendMembership } from '../../src/embed/backend-membership.js';
import { Membership } from '../../src/server/membership.js';
import { removeDir, tempDir } from '../helpers/processes.js';

test('a committed cluster version is read back after the backend is reopened', async () => {
  const dir = tempDir('cluster-version-');
  try {
    const path = join(dir, 'db');
    let backend = Backend.open(path);
    const first = new Membership(1n, await loadBackendMembership(backend));
    assert.equal(first.version, '', 'nothing set yet');
    first.setVersion('3.5.0');
    await backend.forceCommit();
    await backend.close();

    backend = Backend.open(path);
    const again = new Membership(1n, await loadBackendMembership(backend));
    assert.equal(again.version, '3.5.0');
    await backend.close();
  } finally {
    removeDir(dir);
  }
});

test('a raft snapshot db brings its cluster version; a db without one leaves the known version', () => {
  let stored = '';
  const store = {
    saveMember: () => undefined,
    deleteMember: () => undefined,
    loadMembers: () => ({ members: [], removed: [] }),
    saveClusterVersion: (v: string) => void (stored = v),
    loadClusterVersion: () => stored,
  };
  const membership = new Membership(1n, store);
  membership.setVersion('3.4.0');
  stored = '3.5.0'; // the backend was replaced by a newer member's db
  membership.reload();
  assert.equal(membership.version, '3.5.0');
  stored = ''; // a db written before versions were kept
  membership.reload();
  assert.equal(membership.version, '3.5.0');
});
