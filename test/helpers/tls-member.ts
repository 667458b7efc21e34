// A single member serving clients over TLS with client-certificate auth (the certificates in
// test/fixtures/tls), plus a plain-text client URL that the start-up health check uses.

import { join } from 'node:path';
import { freePort, REPO_ROOT, startMember, type Member } from './processes.js';

export const TLS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'tls');
export const tlsFixture = (name: string): string => join(TLS_DIR, name);

export interface TlsMember {
  m: Member;
  httpsUrl: string;
}

/** Starts `kind` with --client-cert-auth on an https:// client URL, trusting `caFile` (the fixtures' CA unless given). */
export async function startClientTlsMember(kind: 'ours' | 'real', caFile = tlsFixture('ca.pem')): Promise<TlsMember> {
  const tlsPort = await freePort();
  const plainPort = await freePort();
  const httpsUrl = `https://127.0.0.1:${tlsPort}`;
  const m = await startMember(kind, {
    clientPort: plainPort,
    extraArgs: [
      '--listen-client-urls', `${httpsUrl},http://127.0.0.1:${plainPort}`,
      '--advertise-client-urls', httpsUrl,
      '--cert-file', tlsFixture('server.pem'),
      '--key-file', tlsFixture('server-key.pem'),
      '--trusted-ca-file', caFile,
      '--client-cert-auth',
    ],
  });
  return { m, httpsUrl };
}
