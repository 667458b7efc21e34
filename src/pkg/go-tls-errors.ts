// The text Go's crypto/tls server gives for a handshake that failed, worked out from what
// Node's TLS server reports instead (an OpenSSL error, a socket error, or a certificate
// that OpenSSL accepted to the handshake and Node then refused). etcd logs Go's text in
// its "rejected connection" warning, and operators grep for those exact words.
//
// Measured against etcd 3.4.23 (Go 1.19): each case below names the client that causes it.
// Where OpenSSL keeps back what Go's text carries (the client's offered versions or ALPN
// names, an expired certificate's dates), the text stops before that detail: a grep for
// Go's words still matches.

/** What Node tells about a failed handshake: the error and the socket's state. */
export interface FailedHandshake {
  /** Node's error code, e.g. ERR_SSL_HTTP_REQUEST, ECONNRESET, ERR_TLS_HANDSHAKE_TIMEOUT. */
  code?: string | undefined;
  /** OpenSSL's reason (e.g. "sslv3 alert bad certificate"); absent for socket errors. */
  reason?: string | undefined;
  message: string;
  /** The failed system call of a socket error ("read", "write"). */
  syscall?: string | undefined;
  /** Why Node refused the client's certificate after the handshake (OpenSSL's verify code). */
  authorizationError?: string | undefined;
  /** "host:port" of this end and the other, as Go prints them (for socket errors). */
  local: string;
  remote: string;
}

/** Go's alert names (crypto/tls in Go 1.19), by alert number. */
const GO_ALERTS: Readonly<Record<number, string>> = {
  0: 'close notify',
  10: 'unexpected message',
  20: 'bad record MAC',
  21: 'decryption failed',
  22: 'record overflow',
  30: 'decompression failure',
  40: 'handshake failure',
  42: 'bad certificate',
  43: 'unsupported certificate',
  44: 'revoked certificate',
  45: 'expired certificate',
  46: 'unknown certificate',
  47: 'illegal parameter',
  48: 'unknown certificate authority',
  49: 'access denied',
  50: 'error decoding message',
  51: 'error decrypting message',
  70: 'protocol version not supported',
  71: 'insufficient security level',
  80: 'internal error',
  86: 'inappropriate fallback',
  90: 'user canceled',
  100: 'no renegotiation',
  109: 'missing extension',
  110: 'unsupported extension',
  120: 'no application protocol',
};

/** Go's alert text; Go 1.19 names an alert it has no word for by its number. */
function goAlert(n: number): string {
  const name = GO_ALERTS[n];
  return name !== undefined ? `tls: ${name}` : `tls: alert(${n})`;
}

/** x509's refusal for OpenSSL's verify code (the client certificate checked against the CA). */
function goVerifyError(code: string): string {
  switch (code) {
    // Issuer not among the trusted CAs, or the certificate signs itself: Go knows one word for all.
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_SIGNATURE_FAILURE':
      return 'x509: certificate signed by unknown authority';
    // Go goes on with ": current time … is after …"; the certificate is gone by the time Node reports.
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'x509: certificate has expired or is not yet valid';
    // No clientAuth among the extended key usages.
    case 'INVALID_PURPOSE':
      return 'x509: certificate specifies an incompatible key usage';
    default:
      return `x509: ${code}`;
  }
}

/** Go's words for a socket error: "read tcp 127.0.0.1:2379->127.0.0.1:50000: read: connection reset by peer". */
const SOCKET_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'connection timed out',
};

/**
 * Go's error for this failed handshake, or undefined when etcd would log nothing: Node gives
 * up on a client that has not finished its handshake after a while, where Go's listener
 * keeps waiting (and logs only once the client goes away).
 */
export function goHandshakeError(h: FailedHandshake): string | undefined {
  if (h.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return undefined;
  // The handshake went through and Node refused the certificate (it does not fail the
  // handshake on it): Go refuses it inside the handshake, in these words.
  if (h.authorizationError !== undefined && h.authorizationError !== null) {
    return `tls: failed to verify client certificate: ${goVerifyError(h.authorizationError)}`;
  }
  if (h.syscall !== undefined && h.code !== undefined && SOCKET_ERRNO_TEXT[h.code] !== undefined) {
    // A reset (or similar) on the socket: Go's *net.OpError, both ends named.
    return `${h.syscall} tcp ${h.local}->${h.remote}: ${h.syscall}: ${SOCKET_ERRNO_TEXT[h.code]}`;
  }
  // Node's word for a client that closed before finishing; Go reads end of file. (A close in
  // the middle of a record is "unexpected EOF" to Go; Node does not tell the two apart.)
  if (h.code === 'ECONNRESET') return 'EOF';
  // The other side refused us: OpenSSL ends its message with the alert's number.
  const alert = /SSL alert number (\d+)/.exec(h.message);
  if (alert !== null) return `remote error: ${goAlert(Number(alert[1]))}`;
  switch (h.code) {
    // Plain HTTP/1.1, the HTTP/2 preface of a plaintext gRPC client, or other bytes that are no TLS record.
    case 'ERR_SSL_HTTP_REQUEST':
    case 'ERR_SSL_HTTPS_PROXY_REQUEST':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'tls: first record does not look like a TLS handshake';
    // --client-cert-auth and a client with no certificate.
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
      return "tls: client didn't provide a certificate";
    // Go lists the client's versions, e.g. "[302 301]"; OpenSSL does not say which they were.
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
      return 'tls: client offered only unsupported versions';
    case 'ERR_SSL_NO_SHARED_CIPHER':
      return 'tls: no cipher suite supported by both client and server';
    // Go names the client's protocols, e.g. "([foo])"; OpenSSL does not say which they were.
    case 'ERR_SSL_NO_APPLICATION_PROTOCOL':
      return 'tls: client requested unsupported application protocols';
    default:
      // Anything else OpenSSL could not parse or accept: its reason, worded as Go's tls errors are.
      return h.reason !== undefined ? `tls: ${h.reason}` : h.message;
  }
}

/** Go's "host:port" (net.JoinHostPort): IPv6 in brackets, IPv4-mapped IPv6 as plain IPv4. */
export function goHostPort(address: string | undefined, port: number | undefined): string {
  const host = address === undefined ? '' : address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? 0}`;
}
