// etcd's --config-file: a YAML document whose keys are the flag names
// ("listen-client-urls: http://...,http://..."), plus the nested TLS sections. When a
// config file is given, etcd takes every setting from it and ignores the other flags and
// the ETCD_* environment; etcd-ts does the same.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { FlagError, type FlagSpec } from './go-flags.js';

/** Nested TLS sections and the flags their keys stand for. */
const TLS_SECTIONS: Record<string, Record<string, string>> = {
  'client-transport-security': {
    'cert-file': 'cert-file',
    'key-file': 'key-file',
    'client-cert-auth': 'client-cert-auth',
    'trusted-ca-file': 'trusted-ca-file',
    'auto-tls': 'auto-tls',
  },
  'peer-transport-security': {
    'cert-file': 'peer-cert-file',
    'key-file': 'peer-key-file',
    'client-cert-auth': 'peer-client-cert-auth',
    'trusted-ca-file': 'peer-trusted-ca-file',
    'auto-tls': 'peer-auto-tls',
  },
};

function text(v: unknown): string {
  if (Array.isArray(v)) return v.map(text).join(',');
  if (v === null || v === undefined) return '';
  return String(v);
}

/**
 * Reads the file into flag values. Keys that are not flags are ignored, as Go's YAML
 * decoding into etcd's config struct ignores them.
 */
export function readConfigFile(path: string, specs: FlagSpec[]): Map<string, string> {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FlagError(`error verifying flags, ${(err as Error).message}. See 'etcd --help'.`);
  }
  const known = new Set(specs.map((s) => s.name));
  const out = new Map<string, string>();
  if (doc === null || typeof doc !== 'object') return out;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const section = TLS_SECTIONS[k];
    if (section && v !== null && typeof v === 'object') {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) {
        const flag = section[sk];
        if (flag) out.set(flag, text(sv));
      }
    } else if (known.has(k)) {
      out.set(k, text(v));
    }
  }
  return out;
}
