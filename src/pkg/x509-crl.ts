// The revoked serial numbers of an X.509 certificate revocation list (RFC 5280 §5.1),
// PEM ("X509 CRL") or DER, read the way etcd's --client-crl-file / --peer-crl-file use it:
// only the list of serials matters, the signature and validity dates are not checked.
// Node's tls `crl` option would do the full OpenSSL check instead, which refuses every
// client when the CRL is not signed by the client's CA or has expired — not etcd's rule.

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

export class CrlParseError extends Error {}

interface Tlv {
  tag: number;
  /** The value's bytes. */
  body: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

function readTlv(buf: Uint8Array, at: number): Tlv {
  if (at + 2 > buf.length) throw new CrlParseError('x509: malformed crl');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new CrlParseError('x509: malformed crl');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw new CrlParseError('x509: malformed crl');
  return { tag, body: buf.subarray(start, end), end };
}

/** The children of a constructed element's body. */
function children(body: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < body.length; ) {
    const t = readTlv(body, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** A serial as lower-case hex of its big-endian magnitude without leading zero bytes (Go's big.Int.Bytes). */
export function serialHex(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex');
}

function derOf(file: Uint8Array): Uint8Array {
  const text = Buffer.from(file).toString('latin1');
  const m = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text);
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : file;
}

/** The revoked serials (serialHex form) listed in a CRL file's bytes. */
export function revokedSerials(file: Uint8Array): Set<string> {
  const list = readTlv(derOf(file), 0);
  if (list.tag !== SEQUENCE) throw new CrlParseError('x509: malformed crl');
  const tbs = children(list.body)[0];
  if (tbs?.tag !== SEQUENCE) throw new CrlParseError('x509: malformed tbs crl');
  const parts = children(tbs.body);
  // version (optional INTEGER), signature, issuer, thisUpdate, nextUpdate (optional), revoked (optional).
  let i = parts[0]?.tag === INTEGER ? 1 : 0;
  i += 3;
  if (parts[i]?.tag === UTC_TIME || parts[i]?.tag === GENERALIZED_TIME) i++;
  const serials = new Set<string>();
  const revoked = parts[i];
  if (revoked?.tag !== SEQUENCE) return serials;
  for (const entry of children(revoked.body)) {
    const serial = children(entry.body)[0];
    if (entry.tag !== SEQUENCE || serial?.tag !== INTEGER) throw new CrlParseError('x509: malformed crl');
    serials.add(serialHex(serial.body));
  }
  return serials;
}
