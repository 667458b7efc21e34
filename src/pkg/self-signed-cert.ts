// A self-signed X.509 certificate for etcd's --auto-tls / --peer-auto-tls: an ECDSA P-521
// key, subject O=etcd, valid for a year from now, usable for TLS server auth, with the
// listen URLs' hosts as IP or DNS subject alternative names. Node can create keys but not
// certificates, so the certificate's DER is put together here (RFC 5280 §4.1).

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.of(tag), length(body.length), body]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);

function oid(text: string): Buffer {
  const [a, b, ...rest] = text.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian bytes. */
function positiveInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed);
}

function utcTime(d: Date): Buffer {
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'latin1'));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand "::" and write the eight 16-bit groups.
  const [head = '', tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.of(0xff))] : []), tlv(0x04, value));
}

const ECDSA_WITH_SHA512 = '1.2.840.10045.4.3.4';

export interface SelfSignedPem {
  cert: string;
  /** SEC 1 ("EC PRIVATE KEY"), as etcd writes it. */
  key: string;
}

/** A certificate for `hosts` (IPs or DNS names), valid from `now` for 365 days. */
export function selfSignedCert(hosts: readonly string[], now = new Date()): SelfSignedPem {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const name = seq(tlv(0x31, seq(oid('2.5.4.10'), tlv(0x13, Buffer.from('etcd')))));
  const alg = seq(oid(ECDSA_WITH_SHA512));
  const sans = hosts.map((h) => (isIP(h) !== 0 ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'latin1'))));
  const extensions = [
    // digitalSignature and keyEncipherment.
    extension('2.5.29.15', true, tlv(0x03, Buffer.of(5, 0xa0))),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.19', true, seq()),
    ...(sans.length > 0 ? [extension('2.5.29.17', false, seq(...sans))] : []),
  ];
  const tbs = seq(
    tlv(0xa0, positiveInteger(Buffer.of(2))),
    positiveInteger(randomBytes(16)),
    alg,
    name,
    seq(utcTime(now), utcTime(new Date(now.getTime() + 365 * 24 * 3600 * 1000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha512', tbs, privateKey);
  const der = seq(tbs, alg, tlv(0x03, Buffer.of(0), signature));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  };
}
