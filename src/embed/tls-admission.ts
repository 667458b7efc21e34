// The checks etcd makes on a TLS connection to its client or peer port once the handshake
// has verified the certificate against the CA:
//   --peer-cert-allowed-cn           the client certificate's subject CN must be one of these;
//   --peer-cert-allowed-hostname,
//   --client-cert-allowed-hostname   the certificate must be valid for one of these names/IPs;
//   --peer-crl-file, --client-crl-file
//                                    no certificate the client sent may be revoked by the list,
//                                    which is read again for every connection (an operator
//                                    can revoke without a restart).
// A connection that fails is closed before anything reads from it, and etcd's "rejected
// connection" warning says why.
// The CN and hostname rules (not the CRL, which etcd reads only for connections it accepts)
// also hold for the certificate a peer answers with when this member dials it: etcd puts one
// verification into both its server and its client TLS configuration, so a member refuses
// to send raft messages to, or fetch the cluster from, a peer its own port would refuse.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { revokedSerials, serialHex } from '../pkg/x509-crl.js';
import type { TlsConfig } from './config.js';
import { goReadFileError } from '../pkg/go-os-errors.js';
import { goHostPort } from '../pkg/go-tls-errors.js';
import { serverNameOf, type HandshakeFailure } from '../pkg/tls-handshake-failures.js';

/** The error text for a refused connection, or undefined to admit it. */
export type TlsAdmission = (socket: tls.TLSSocket) => string | undefined;

/** Go's refusal when the CN or hostname rule fails. */
export const ERR_CLIENT_CERT_AUTH = 'client certificate authentication failed';

/** etcd refuses at start-up to be given both rules for one port. */
export function allowedRuleConflict(cfg: TlsConfig): string | undefined {
  if (cfg.allowedCns.length === 0 || cfg.allowedHostnames.length === 0) return undefined;
  return `AllowedCN and AllowedHostname are mutually exclusive (cn=${JSON.stringify(cfg.allowedCns.join(','))}, hostname=${JSON.stringify(cfg.allowedHostnames.join(','))})`;
}

function commonName(cert: X509Certificate): string {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return '';
}

function validFor(cert: X509Certificate, name: string): boolean {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  // Like Go's VerifyHostname: an IP matches IP SANs only, a name DNS SANs only (never the CN).
  if (isIP(bare) !== 0) return cert.checkIP(bare) !== undefined;
  return cert.checkHost(bare, { subject: 'never' }) !== undefined;
}

/** Serials of the certificates the client presented, leaf first, in serialHex form. */
function presentedSerials(socket: tls.TLSSocket): string[] {
  const out: string[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<tls.DetailedPeerCertificate>();
  while (cert !== undefined && cert.serialNumber !== undefined && !seen.has(cert)) {
    seen.add(cert);
    const hex = cert.serialNumber.length % 2 === 0 ? cert.serialNumber : `0${cert.serialNumber}`;
    out.push(serialHex(Buffer.from(hex, 'hex')));
    cert = cert.issuerCertificate;
  }
  return out;
}

function crlCheck(path: string, socket: tls.TLSSocket): string | undefined {
  const serials = presentedSerials(socket);
  if (serials.length === 0) return undefined;
  let revoked: Set<string>;
  try {
    revoked = revokedSerials(readFileSync(path));
  } catch (err) {
    return goReadFileError(path, err) ?? (err as Error).message;
  }
  const hit = serials.find((s) => revoked.has(s));
  return hit === undefined ? undefined : `transport: certificate serial ${hit} revoked`;
}

/**
 * The allowed-CN or allowed-hostname rule of this TLS configuration: true when the other
 * side's (already CA-verified) leaf certificate satisfies it; undefined when there is none.
 * Both directions use it: tlsAdmission for accepted connections, peerDialCheck for dialled ones.
 */
function certificateRule(cfg: TlsConfig): ((leaf: X509Certificate) => boolean) | undefined {
  const cns = cfg.allowedCns;
  const hosts = cfg.allowedHostnames;
  if (cns.length > 0) return (leaf) => cns.includes(commonName(leaf));
  if (hosts.length > 0) return (leaf) => hosts.some((h) => validFor(leaf, h));
  return undefined;
}

/** The admission check for a port with this TLS configuration, or undefined when it has none. */
export function tlsAdmission(cfg: TlsConfig): TlsAdmission | undefined {
  const rule = certificateRule(cfg);
  const crl = cfg.crlFile;
  if (rule === undefined && crl === '') return undefined;
  return (socket) => {
    const leaf = socket.getPeerX509Certificate();
    if (leaf !== undefined && rule !== undefined && !rule(leaf)) return ERR_CLIENT_CERT_AUTH;
    return crl === '' ? undefined : crlCheck(crl, socket);
  };
}

/** Node's hook for judging the certificate a TLS server answered with (tls.connect's option). */
export type ServerIdentityCheck = (host: string, cert: tls.PeerCertificate) => Error | undefined;

/**
 * The check for the certificate of a peer this member dials, or undefined when the
 * configuration has no CN or hostname rule. Node calls it once the chain verified against
 * the trusted CA, and fails the connection, before any request goes out, on the Error it
 * returns: first the usual match of the certificate against the dialled host (as Go's client
 * verifies it), then this member's own rule, refused with the words Go's TLS stack gives.
 */
export function peerDialCheck(cfg: TlsConfig): ServerIdentityCheck | undefined {
  const rule = certificateRule(cfg);
  if (rule === undefined) return undefined;
  return (host, cert) => tls.checkServerIdentity(host, cert) ?? (rule(new X509Certificate(cert.raw)) ? undefined : new Error(ERR_CLIENT_CERT_AUTH));
}

/** etcd's "rejected connection" fields for a socket refused after its handshake, with the certificate's names. */
export function rejectedFields(socket: tls.TLSSocket, error: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    'remote-addr': goHostPort(socket.remoteAddress, socket.remotePort),
    'server-name': serverNameOf(socket),
  };
  const leaf = socket.getPeerX509Certificate();
  if (leaf !== undefined) {
    const sans = (leaf.subjectAltName ?? '').split(', ').filter((s) => s !== '');
    fields['ip-addresses'] = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length));
    fields['dns-names'] = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice('DNS:'.length));
  }
  fields.error = error;
  return fields;
}

/** etcd's "rejected connection" fields for a failed handshake: Go has no certificate to name then. */
export function handshakeFailureFields(f: HandshakeFailure): Record<string, unknown> {
  return { 'remote-addr': f.remoteAddr, 'server-name': f.serverName, error: f.error };
}

/**
 * Runs `admit` on every connection `server` completes a handshake for, ahead of whatever
 * serves it; a refused socket is destroyed, so the server's own handler sees it closed.
 */
export function guardTlsServer(server: tls.Server, admit: TlsAdmission, onReject: (socket: tls.TLSSocket, error: string) => void): void {
  server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
    const error = admit(socket);
    if (error === undefined) return;
    onReject(socket, error);
    socket.destroy();
  });
}
