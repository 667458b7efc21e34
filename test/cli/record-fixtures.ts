// Records the golden fixtures with Debian's etcdctl 3.4.23 against Debian's etcd:
//   npx tsc -p . && node dist/test/cli/record-fixtures.js [session ...]
// Run it only when a session in fixture-sessions.ts changes; review the diff.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_DIR, runSession, type Fixture } from './harness.js';
import { SESSIONS } from './fixture-sessions.js';

const wanted = process.argv.slice(2);
for (const [name, session] of Object.entries(SESSIONS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const cases = await runSession(session.steps, { ctl: 'real' });
  const fixture: Fixture = { description: session.description, cases };
  writeFileSync(join(FIXTURE_DIR, `${name}.json`), JSON.stringify(fixture, null, 2) + '\n');
  console.log(`${name}: ${cases.length} cases`);
}
