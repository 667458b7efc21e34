// One endpoint's gRPC channel, shared by every service stub, with typed helpers for the
// three call shapes etcd uses (unary, server stream, bidirectional stream).

import { readFileSync } from 'node:fs';
import {
  Channel,
  Client as GrpcClient,
  connectivityState,
  credentials,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Endpoint } from './endpoint.js';

/** Responses are not capped, as in etcdctl (grpc-js's ceiling is 2 GiB - 1). */
export const MAX_RECEIVE_BYTES = 2 ** 31 - 1;
/**
 * Keep-alive pings on idle-but-streaming connections so a dead peer is noticed on watch and
 * lease streams. 10 s stays above etcd's --grpc-keepalive-min-time (5 s) so the server does
 * not answer with GOAWAY "too_many_pings".
 */
export const KEEPALIVE_TIME_MS = 10_000;
export const KEEPALIVE_TIMEOUT_MS = 10_000;
/**
 * The shortest ping interval a client uses, whatever it is given: grpc-go raises anything
 * shorter to 10 s, so etcdctl's --keepalive-time default of 2s pings every 10 s.
 */
export const MIN_KEEPALIVE_TIME_MS = 10_000;

/** How often an idle streaming connection is pinged, and how long a ping may go unanswered. */
export interface KeepAlive {
  timeMs: number;
  timeoutMs: number;
}

/** The ping interval and timeout a connection uses for `k`, with grpc-go's floor on the interval. */
export function keepAliveOptions(k: KeepAlive | undefined): Pick<ChannelOptions, 'grpc.keepalive_time_ms' | 'grpc.keepalive_timeout_ms'> {
  return {
    'grpc.keepalive_time_ms': k === undefined ? KEEPALIVE_TIME_MS : Math.max(k.timeMs, MIN_KEEPALIVE_TIME_MS),
    'grpc.keepalive_timeout_ms': k === undefined ? KEEPALIVE_TIMEOUT_MS : k.timeoutMs,
  };
}
/** Reconnect backoff bounds (grpc-js defaults are 1 s / 120 s; etcd members restart fast). */
export const RECONNECT_BACKOFF_MIN_MS = 100;
export const RECONNECT_BACKOFF_MAX_MS = 3_000;

export interface TlsFiles {
  /** PEM CA bundle to verify the server; the system roots when absent. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Skip verification of the server's certificate (etcdctl --insecure-skip-tls-verify). */
  insecureSkipVerify?: boolean;
}

/** A method as ts-proto describes it in a `<Name>Service` definition. */
export interface MethodDef<Req, Res> {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

function channelCredentials(ep: Endpoint, tls: TlsFiles | undefined): ChannelCredentials {
  if (!ep.secure) return credentials.createInsecure();
  const read = (f: string | undefined): Buffer | null => (f === undefined ? null : readFileSync(f));
  const verify = tls?.insecureSkipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
  return credentials.createSsl(read(tls?.caFile), read(tls?.keyFile), read(tls?.certFile), verify);
}

export class Connection {
  private readonly grpc: GrpcClient;
  private readonly channel: Channel;

  constructor(readonly endpoint: Endpoint, tls?: TlsFiles, keepAlive?: KeepAlive) {
    const options: ChannelOptions = {
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      'grpc.max_send_message_length': MAX_RECEIVE_BYTES,
      ...keepAliveOptions(keepAlive),
      'grpc.keepalive_permit_without_calls': 0,
      'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MIN_MS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS,
      // Each Connection is one endpoint; don't share subchannels with other clients in the
      // process, so closing this client really closes its sockets.
      'grpc.use_local_subchannel_pool': 1,
    };
    this.channel = new Channel(this.endpoint.target, channelCredentials(endpoint, tls), options);
    this.grpc = new GrpcClient(this.endpoint.target, credentials.createInsecure(), { channelOverride: this.channel });
  }

  state(tryToConnect: boolean): connectivityState {
    return this.channel.getConnectivityState(tryToConnect);
  }

  /**
   * Resolves once the channel has settled: READY (true), TRANSIENT_FAILURE or SHUTDOWN
   * (false), or still connecting at `deadlineMs` (false). Starts connecting an idle channel.
   */
  waitSettled(deadlineMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        const s = this.channel.getConnectivityState(true);
        if (s === connectivityState.READY) return resolve(true);
        if (s === connectivityState.TRANSIENT_FAILURE || s === connectivityState.SHUTDOWN) return resolve(false);
        if (Date.now() >= deadlineMs) return resolve(false);
        this.channel.watchConnectivityState(s, deadlineMs, () => check());
      };
      check();
    });
  }

  /**
   * One unary call. The request is serialized once, up front, so its size can be checked
   * against a send limit before anything goes on the wire.
   */
  unary<Req, Res>(def: MethodDef<Req, Res>, bytes: Buffer, md: Metadata, deadline: Date | undefined): Promise<Res> {
    const options: CallOptions = deadline === undefined ? {} : { deadline };
    return new Promise<Res>((resolve, reject) => {
      this.grpc.makeUnaryRequest<Buffer, Res>(def.path, (b) => b, def.responseDeserialize, bytes, md, options, (err: ServiceError | null, res?: Res) => {
        if (err) reject(err);
        else resolve(res as Res);
      });
    });
  }

  serverStream<Req, Res>(def: MethodDef<Req, Res>, req: Req, md: Metadata): ClientReadableStream<Res> {
    return this.grpc.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, {});
  }

  bidiStream<Req, Res>(def: MethodDef<Req, Res>, md: Metadata): ClientDuplexStream<Req, Res> {
    return this.grpc.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, md, {});
  }

  close(): void {
    this.grpc.close();
    this.channel.close();
  }
}
