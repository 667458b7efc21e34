// A controllable TCP proxy in front of one member's peer port, for partitions.
//
// Members advertise the proxy's address as their peer URL while listening on their real
// port, so every byte another member sends to (or receives from) this member crosses the
// proxy. Each inbound connection is attributed to a source (a member name, via `identify`)
// and treated by that source's mode:
//   pass   forward both ways;
//   drop   a blackhole: the connection is accepted but nothing is forwarded in either
//          direction (bytes are read and discarded, as a partitioned link loses them);
//   delay  forward both ways, each chunk held for `ms` (order kept).
// Switching a source to drop cuts its existing connections, so no half-delivered stream
// frames reach the member; switching back destroys its blackholed connections so the
// dialer notices and reconnects. `cut` closes connections without changing modes.

import net from 'node:net';

export type LinkMode = { kind: 'pass' } | { kind: 'drop' } | { kind: 'delay'; ms: number };

export const PASS: LinkMode = { kind: 'pass' };
export const DROP: LinkMode = { kind: 'drop' };

/** Source used for connections `identify` cannot attribute. */
export const UNKNOWN_SOURCE = '?';

export interface ProxyOptions {
  /** Port the proxy listens on (loopback). */
  listenPort: number;
  /** Port it forwards to (loopback): the member's real peer port. */
  targetPort: number;
  /** Names the source of an inbound connection from its remote port; UNKNOWN_SOURCE if it cannot. */
  identify?: (remotePort: number, localPort: number) => Promise<string>;
}

interface Link {
  source: string;
  client: net.Socket;
  /** The connection to the member; undefined while blackholed. */
  upstream: net.Socket | undefined;
  blackholed: boolean;
}

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();
  private readonly modes = new Map<string, LinkMode>();
  private defaultMode: LinkMode = PASS;
  /** Connections accepted so far, per source (for tests and logs). */
  readonly accepted = new Map<string, number>();

  constructor(private readonly opts: ProxyOptions) {}

  get listenPort(): number {
    return this.opts.listenPort;
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => void this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listenPort, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  modeOf(source: string): LinkMode {
    return this.modes.get(source) ?? this.defaultMode;
  }

  /** Sets the mode for connections from `source` (existing ones included). */
  setMode(source: string, mode: LinkMode): void {
    this.modes.set(source, mode);
    this.reconcile(source);
  }

  /** Sets the mode for every source, forgetting per-source settings. */
  setAll(mode: LinkMode): void {
    const sources = new Set([...this.modes.keys(), ...[...this.links].map((l) => l.source)]);
    this.modes.clear();
    this.defaultMode = mode;
    for (const s of sources) this.reconcile(s);
  }

  /** Closes existing connections (of one source, or all); modes are unchanged. */
  cut(source?: string): void {
    for (const l of [...this.links]) if (source === undefined || l.source === source) this.close(l);
  }

  async close(): Promise<void>;
  close(link: Link): void;
  close(link?: Link): Promise<void> | void {
    if (link !== undefined) {
      this.links.delete(link);
      link.client.destroy();
      link.upstream?.destroy();
      return;
    }
    for (const l of [...this.links]) this.close(l);
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private reconcile(source: string): void {
    const mode = this.modeOf(source);
    for (const l of [...this.links]) {
      if (l.source !== source) continue;
      // Entering drop: cut live links. Leaving drop: drop blackholes so dialers retry.
      if ((mode.kind === 'drop') !== l.blackholed) this.close(l);
    }
  }

  private async accept(client: net.Socket): Promise<void> {
    client.pause();
    client.on('error', () => undefined);
    const remotePort = client.remotePort ?? 0;
    let source = UNKNOWN_SOURCE;
    try {
      if (this.opts.identify !== undefined) source = await this.opts.identify(remotePort, this.opts.listenPort);
    } catch {
      source = UNKNOWN_SOURCE;
    }
    if (client.destroyed || this.server === undefined) {
      client.destroy();
      return;
    }
    this.accepted.set(source, (this.accepted.get(source) ?? 0) + 1);
    const link: Link = { source, client, upstream: undefined, blackholed: false };
    this.links.add(link);
    client.once('close', () => this.close(link));
    if (this.modeOf(source).kind === 'drop') {
      link.blackholed = true;
      client.resume(); // read and discard
      return;
    }
    const upstream = net.connect(this.opts.targetPort, '127.0.0.1');
    link.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.once('close', () => this.close(link));
    this.pipe(link, client, upstream);
    this.pipe(link, upstream, client);
    client.resume();
  }

  /**
   * Forwards `from` → `to` under the link source's current mode. Delayed chunks wait in a
   * FIFO with their due times; while it is non-empty, even passed chunks queue behind it,
   * so switching delay → pass never reorders bytes.
   */
  private pipe(link: Link, from: net.Socket, to: net.Socket): void {
    const queue: { chunk: Buffer; dueMs: number }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.dueMs <= Date.now()) {
        if (!to.destroyed) to.write(queue.shift()!.chunk);
        else queue.length = 0;
      }
      if (queue.length > 0) timer = setTimeout(pump, queue[0]!.dueMs - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      const mode = this.modeOf(link.source);
      if (mode.kind === 'drop') return;
      if (mode.kind === 'pass' && queue.length === 0) {
        if (!to.write(chunk)) from.pause();
        return;
      }
      queue.push({ chunk, dueMs: Date.now() + (mode.kind === 'delay' ? mode.ms : 0) });
      if (timer === undefined) timer = setTimeout(pump, queue[0]!.dueMs - Date.now());
    });
    to.on('drain', () => from.resume());
    to.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
    });
  }
}
