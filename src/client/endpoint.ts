// Endpoint strings as etcdctl and clientv3 accept them, turned into grpc-js targets.
//
//   "127.0.0.1:2379", "localhost:2379"      plaintext TCP
//   "http://h:p", "https://h:p"             plaintext / TLS TCP (a trailing "/" is ignored)
//   "unix://path", "unixs://path"           plaintext / TLS on a unix socket; "path" may be
//                                           relative ("unix://localhost:2379" is the socket
//                                           file "localhost:2379", as etcd names it) or
//                                           absolute ("unix:///run/etcd.sock")

export interface Endpoint {
  /** The string the user gave, used in messages and `ClientError.endpoint`. */
  readonly raw: string;
  /** What clientv3 prints for the endpoint: the address without its scheme. */
  readonly address: string;
  /** The grpc-js channel target. */
  readonly target: string;
  /** Whether the connection uses TLS. */
  readonly secure: boolean;
}

export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

export function parseEndpoint(raw: string): Endpoint {
  const text = raw.trim();
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (m === null) {
    if (text === '') throw new EndpointError('empty endpoint');
    return { raw, address: text, target: `dns:${text}`, secure: false };
  }
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!.replace(/\/$/, '');
  switch (scheme) {
    case 'http':
    case 'https':
      if (rest === '' || rest.includes('/')) throw new EndpointError(`invalid endpoint ${JSON.stringify(raw)}: want ${scheme}://host:port`);
      return { raw, address: rest, target: `dns:${rest}`, secure: scheme === 'https' };
    case 'unix':
    case 'unixs':
      if (rest === '') throw new EndpointError(`invalid endpoint ${JSON.stringify(raw)}: no socket path`);
      return { raw, address: rest, target: `unix:${rest}`, secure: scheme === 'unixs' };
    default:
      throw new EndpointError(`invalid endpoint ${JSON.stringify(raw)}: unsupported scheme ${JSON.stringify(scheme)}`);
  }
}

/** The address part of an endpoint ("http://h:p" → "h:p"), as etcdctl prints it. */
export function endpointTarget(ep: string): string {
  return parseEndpoint(ep).address;
}
