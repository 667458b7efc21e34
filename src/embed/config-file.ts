// etcd's --config-file: a YAML document whose keys are (mostly) the flag names
// ("listen-client-urls: http://...,http://..."), plus the nested TLS sections. When a
// config file is given, etcd takes every setting from it and ignores the other flags and
// the ETCD_* environment; etcd-ts does the same. Settings are handed back as flag text so
// they are validated exactly like flags.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Nested TLS sections and the flags their keys stand for. */
const TLS_SECTIONS: Record<string, Record<string, string>> = {
  'client-transport-security': {
    'cert-file': 'cert-file',
    'key-file': 'key-file',
    'client-cert-file': 'client-cert-file',
    'client-key-file': 'client-key-file',
    'client-cert-auth': 'client-cert-auth',
    'trusted-ca-file': 'trusted-ca-file',
    'auto-tls': 'auto-tls',
    'allowed-hostname': 'client-cert-allowed-hostname',
  },
  'peer-transport-security': {
    'cert-file': 'peer-cert-file',
    'key-file': 'peer-key-file',
    'client-cert-file': 'peer-client-cert-file',
    'client-key-file': 'peer-client-key-file',
    'client-cert-auth': 'peer-client-cert-auth',
    'trusted-ca-file': 'peer-trusted-ca-file',
    'auto-tls': 'peer-auto-tls',
    'allowed-cn': 'peer-cert-allowed-cn',
    'allowed-hostname': 'peer-cert-allowed-hostname',
  },
};

/** YAML keys of etcd's Config that differ from the flag names. */
const KEY_ALIASES: Record<string, string> = {
  'experimental-snapshot-catch-up-entries': 'experimental-snapshot-catchup-entries',
  'client-crl-file': 'client-crl-file',
};

function text(v: unknown): string {
  if (Array.isArray(v)) return v.map(text).join(',');
  if (v === null || v === undefined) return '';
  return String(v);
}

/**
 * Reads the file into flag name → text. Keys that are not flags come back too; the
 * caller ignores unknown ones, as Go's YAML decoding into etcd's config struct does.
 */
export function readConfigFile(path: string): Map<string, string> {
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `open ${path}: no such file or directory` : (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = parse(body);
  } catch (err) {
    throw new Error(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const out = new Map<string, string>();
  if (doc === null || typeof doc !== 'object') return out;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const section = TLS_SECTIONS[k];
    if (section && v !== null && typeof v === 'object') {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) {
        const flag = section[sk];
        if (flag) out.set(flag, text(sv));
      }
    } else if (v !== null && v !== undefined) {
      out.set(KEY_ALIASES[k] ?? k, text(v));
    }
  }
  return out;
}
