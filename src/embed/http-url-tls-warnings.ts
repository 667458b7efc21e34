// etcd's start-up warnings for TLS flags a plain listen URL cannot use: certificate and key
// files (given, or made by --auto-tls) and --client-cert-auth do nothing for an http://
// URL (nor a unix:// client URL), and etcd says so once per such URL, in the URLs' sorted
// order, the key/cert warning first. An https:// URL beside them still uses the flags.

import { CALLERS, type LogRecord } from './log-record.js';
import type { TlsConfig } from './config.js';

const IGNORING_FILES = 'scheme is HTTP while key and cert files are present; ignoring key and cert files';

/** The warnings for `urls` (the listen URLs of one side) under `tls`. */
export function httpUrlTlsWarnings(side: 'client' | 'peer', urls: readonly string[], tls: TlsConfig): LogRecord[] {
  const records: LogRecord[] = [];
  const key = side === 'peer' ? 'peer-url' : 'client-url';
  // Flags give them sorted already; a configuration file's list may not be.
  for (const url of [...urls].sort()) {
    const plain = url.startsWith('http://') || (side === 'client' && url.startsWith('unix://'));
    if (!plain) continue;
    // One of the two files is enough (etcd fails later, for the missing one).
    if (tls.certFile !== '' || tls.keyFile !== '') {
      records.push({ level: 'warn', caller: side === 'peer' ? CALLERS.peerHttpKeyCert : CALLERS.clientHttpKeyCert, msg: IGNORING_FILES, fields: { [key]: url } });
    }
    if (tls.clientCertAuth) {
      records.push({
        level: 'warn',
        caller: side === 'peer' ? CALLERS.peerHttpCertAuth : CALLERS.clientHttpCertAuth,
        msg: `scheme is HTTP while --${side === 'peer' ? 'peer-' : ''}client-cert-auth is enabled; ignoring client cert auth for this URL`,
        fields: { [key]: url },
      });
    }
  }
  return records;
}
