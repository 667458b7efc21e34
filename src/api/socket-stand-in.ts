// A stream node's HTTP/2 session takes as its socket while something of ours sits between it
// and the real one (the :authority repair, the HTTP/2 front end): the socket's end, errors and
// close carry over, reading resumes the socket, and the addresses are the socket's (grpc-js
// reads them for a call's peer).

import { Duplex } from 'node:stream';
import type net from 'node:net';

export abstract class SocketStandIn extends Duplex {
  constructor(protected readonly socket: net.Socket) {
    super({ allowHalfOpen: true });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  override _read(): void {
    this.socket.resume();
  }
}
