// What a running etcdctl command works with: its parsed flags, stdout/stderr buffers,
// the printer chosen by -w, and a client built the way etcdctl 3.4's mustClientFromCmd
// builds one (ETCDCTL_* applied first, --debug dump, endpoints, timeouts, TLS, auth).
// Failed unary calls are logged on stderr like clientv3's retry interceptor logs them.

import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { Client } from '../../client/client.js';
import type { TlsFiles } from '../../client/connection.js';
import { parseEndpoint } from '../../client/endpoint.js';
import { ClientError } from '../../client/errors.js';
import { GrpcCode } from '../../pkg/grpc-codes.js';
import { CtlError, ExitCode } from './errors.js';
import { applyEnv, debugDump, keepAliveFlags } from './global-flags.js';
import { checkTlsFiles } from './tls-files-check.js';
import { srvClientEndpoints } from './srv-endpoints.js';
import type { RunContext } from './command-tree.js';
import type { FlagDef } from './flags.js';
import type { Output } from './output.js';
import type { Stdin } from './stdin.js';
import type { newPrinter } from './printers.js';
import { askPassword } from './password-prompt.js';
import type { OutputFormat, Printer } from './printer.js';

const AUTH_NOT_ENABLED = 'etcdserver: authentication is not enabled';

/** How clientv3 names the gRPC target of a call in its warning. */
export type TargetKind = 'balancer' | 'passthrough';

export class Session {
  /** Part of clientv3's balancer target name; one per process, like one client per command. */
  private readonly clientId = randomUUID();
  private envApplied = false;
  /** The printers (with the protobuf code they print), loaded by `load()` before a command runs. */
  private printers: typeof newPrinter | undefined;

  constructor(
    readonly ctx: RunContext,
    readonly out: Output,
    readonly err: Output,
    private readonly inherited: FlagDef[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly input: Stdin,
  ) {}

  /**
   * Loads what `printer()` needs, and makes protobuf strings byte strings. It is kept out
   * of start-up because the printers pull in the generated protobuf code (and with it
   * gRPC); every command that talks to a server runs this first (lazy-command.ts).
   */
  async load(): Promise<this> {
    if (this.printers === undefined) {
      const [printers, protobuf] = await Promise.all([import('./printers.js'), import('./protobuf-byte-strings.js')]);
      // Before the command encodes its first message: string fields carry the arguments' bytes.
      protobuf.useByteStringsInProtobuf();
      this.printers = printers.newPrinter;
    }
    return this;
  }

  get flags() {
    return this.ctx.flags;
  }

  /** Positional arguments before a "--" (pflag's ArgsLenAtDash), or undefined without one. */
  get argsAtDash(): number | undefined {
    const n = this.ctx.flags.argsLenAtDash;
    return n >= 0 ? n : undefined;
  }

  get args(): string[] {
    return this.ctx.args;
  }

  /** All of stdin (put's value). */
  stdin(): Buffer {
    return this.input.all();
  }

  /** stdin line by line (txn). */
  stdinLines(): Iterator<string> {
    return this.input.lines();
  }

  /** Writes at once, after what was printed so far: password and --interactive prompts. */
  prompt(text: string): void {
    this.err.flushPrinted();
    writeSync(1, text);
  }

  /** One environment variable (watch's ETCDCTL_WATCH_KEY and ETCDCTL_WATCH_RANGE_END). */
  envVar(name: string): string | undefined {
    return this.env[name];
  }

  /** ETCDCTL_* and --debug, once, when the command first needs its client settings. */
  private applyEnvOnce(): void {
    if (this.envApplied) return;
    this.envApplied = true;
    for (const w of applyEnv(this.flags, this.inherited, this.envForFlags(), new Date())) this.err.line(w);
    if (this.flags.bool('debug')) for (const l of debugDump(this.flags, this.inherited)) this.err.line(l);
  }

  /** watch reads ETCDCTL_WATCH_KEY/RANGE_END itself, so etcdctl keeps them out of the unrecognized warnings. */
  private envForFlags(): NodeJS.ProcessEnv {
    if (this.ctx.path[0] !== 'watch') return this.env;
    const { ETCDCTL_WATCH_KEY: _key, ETCDCTL_WATCH_RANGE_END: _end, ...rest } = this.env;
    return rest;
  }

  printer(): { format: OutputFormat; printer: Printer } {
    this.applyEnvOnce();
    if (this.printers === undefined) throw new Error('etcdctl: printer() before Session.load()');
    return this.printers(this.flags.string('write-out'), { out: this.out, err: this.err, hex: this.flags.bool('hex') });
  }

  /** --endpoints, or what --discovery-srv finds (clientv3 falls back to --endpoints when it finds none). */
  async endpoints(): Promise<string[]> {
    this.applyEnvOnce();
    const domain = this.flags.string('discovery-srv');
    if (domain !== '') {
      let found: string[];
      try {
        found = await srvClientEndpoints(domain, this.flags.string('discovery-srv-name'), this.flags.bool('insecure-discovery'), (l) => this.err.line(l));
      } catch (e) {
        throw new CtlError((e as Error).message, ExitCode.Error);
      }
      if (found.length > 0) return found;
    }
    return this.flags.strings('endpoints');
  }

  /** --cluster: every member's client URLs instead of --endpoints. */
  async targetEndpoints(): Promise<string[]> {
    if (!this.flags.bool('cluster')) return this.endpoints();
    const c = await this.client();
    try {
      return (await this.call(() => c.memberList())).members.flatMap((m) => m.clientURLs);
    } finally {
      c.close();
    }
  }

  get commandTimeoutMs(): number {
    return this.flags.durationMs('command-timeout');
  }

  /**
   * A client for `endpoints` (default: --endpoints) with the global flags' settings.
   * With --user, clientv3 authenticates first; when the server has auth disabled it logs
   * the refusal and carries on without a token, and so does this.
   */
  async client(chosen?: string[]): Promise<Client> {
    this.applyEnvOnce();
    const endpoints = chosen ?? (await this.endpoints());
    const f = this.flags;
    let username: string | undefined;
    let password: string | undefined;
    const user = f.string('user');
    if (user !== '') {
      // etcdctl's authCfgFromCmd: --password takes the whole --user as the name;
      // otherwise name:password, or a prompt for the password.
      const passwordFlag = f.string('password');
      const colon = user.indexOf(':');
      if (passwordFlag !== '') {
        username = user;
        password = passwordFlag;
      } else if (colon >= 0) {
        username = user.slice(0, colon);
        password = user.slice(colon + 1);
      } else {
        username = user;
        password = askPassword(this, 'Password: ');
      }
      // clientv3 authenticates only with both a name and a password.
      if (password === '') username = undefined;
    }
    const cert = f.string('cert');
    const key = f.string('key');
    const cacert = f.string('cacert');
    checkTlsFiles({ cert, key, cacert });
    const file = (p: string) => (p === '' ? undefined : p);
    const tls: TlsFiles | undefined =
      cert !== '' || key !== '' || cacert !== '' || !f.bool('insecure-transport')
        ? { caFile: file(cacert), certFile: file(cert), keyFile: file(key), insecureSkipVerify: f.bool('insecure-skip-tls-verify') }
        : undefined;
    // clientv3 dials a schemeless endpoint with TLS whenever TLS is configured.
    const dialed = tls ? endpoints.map((ep) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(ep.trim()) ? ep : `https://${ep}`)) : endpoints;
    const config = {
      endpoints: dialed,
      dialTimeoutMs: f.durationMs('dial-timeout'),
      commandTimeoutMs: this.commandTimeoutMs,
      keepAlive: keepAliveFlags(f),
      ...(tls ? { tls } : {}),
    };
    const { Client } = await import('../../client/client.js');
    if (username === undefined) return new Client(config);
    const probe = new Client(config);
    try {
      await probe.authenticate(username, password ?? '');
    } catch (e) {
      if (e instanceof ClientError && e.message === AUTH_NOT_ENABLED) {
        this.warnFailedCall(e);
        return probe;
      }
      probe.close();
      if (e instanceof ClientError) {
        this.warnFailedCall(e);
        // etcdctl's mustClientFromCmd: a client that cannot be made is a bad connection.
        throw new CtlError(e.userText, ExitCode.BadConnection);
      }
      throw e;
    }
    probe.close();
    return new Client({ ...config, username, password });
  }

  /** clientv3's warning for a failed call, written to stderr. */
  warnFailedCall(e: ClientError, kind: TargetKind = 'balancer'): void {
    const address = e.endpoint ?? '';
    const target = kind === 'balancer' ? `endpoint://client-${this.clientId}/${address}` : `passthrough:///${address}`;
    let error = e.grpcText;
    if (e.code === GrpcCode.DeadlineExceeded && e.goDetails !== undefined && kind === 'balancer') {
      // Behind clientv3's balancer a refused dial reads as no ready sub-connection.
      error = 'rpc error: code = DeadlineExceeded desc = latest balancer error: all SubConns are in TransientFailure';
    }
    this.err.line(
      JSON.stringify({
        level: 'warn',
        ts: new Date().toISOString(),
        caller: 'clientv3/retry_interceptor.go:62',
        msg: 'retrying of unary invoker failed',
        target,
        attempt: 0,
        error,
      }),
    );
  }

  /** Runs one client call; a failure is logged, then rethrown for main to report. */
  async call<T>(fn: () => Promise<T>, kind: TargetKind = 'balancer'): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ClientError && e.endpoint !== undefined) this.warnFailedCall(e, kind);
      throw e;
    }
  }
}

export function addressOf(ep: string): string {
  try {
    return parseEndpoint(ep).address;
  } catch {
    return ep;
  }
}
