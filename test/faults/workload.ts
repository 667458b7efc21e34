// Concurrent clients doing put, get, delete and txn compare-and-set on a few keys, every
// operation recorded (call and return time, answer, or unknown after an error) for the
// linearizability checker; plus writes to keys of their own that are never overwritten,
// so the end of a run can check that every acknowledged write is still there.

import { Client } from '../../src/client/client.js';
import { Compare_CompareResult, Compare_CompareTarget } from '../../src/gen/etcdserverpb/rpc.js';
import { HistoryRecorder, type KvInput, type KvOutput, type WriteRecord } from '../../src/linearizability/index.js';

export interface WorkloadOptions {
  endpoints: string[];
  clients: number;
  /** Shared registers the history is about: k0..k{keys-1}. */
  keys: number;
  rand: () => number;
  /** Deadline of each operation; past it the outcome is unknown. */
  opTimeoutMs: number;
  /** Pause between a client's operations, so the clients do not saturate the machine. */
  thinkMs: number;
  /**
   * Serializable reads are answered from the member's local state and may be stale; a run
   * with them is a negative control the checker must catch under partitions.
   */
  serializableReads?: boolean;
  /** Each client stays on its first member (client % members) even after errors. */
  stickyEndpoints?: boolean;
}

/** Prefix of the write-once keys: UNIQUE_PREFIX + client/seq. */
export const UNIQUE_PREFIX = 'ack/';

export interface WorkloadCounts {
  ok: number;
  unknown: number;
}

export class Workload {
  readonly recorder = new HistoryRecorder();
  /** Write-once keys whose put was acknowledged: they must exist at the end. */
  readonly acknowledgedUnique = new Set<string>();
  /** Write-once keys whose put had an unknown outcome: they may or may not exist. */
  readonly unknownUnique = new Set<string>();
  readonly counts: WorkloadCounts = { ok: 0, unknown: 0 };
  /** Every write issued, with its outcome and revision when acknowledged: what watchers must have seen. */
  readonly writes: WriteRecord[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly clients: Client[][] = [];

  constructor(private readonly opts: WorkloadOptions) {}

  start(): void {
    this.running = true;
    for (let c = 0; c < this.opts.clients; c++) {
      // One connection per endpoint, so a client stuck on a paused member can move on.
      const perEndpoint = this.opts.endpoints.map((ep) => new Client({ endpoints: [ep], dialTimeoutMs: 300, commandTimeoutMs: this.opts.opTimeoutMs }));
      this.clients.push(perEndpoint);
      this.workers.push(this.worker(c, perEndpoint));
    }
  }

  /** Stops issuing operations and waits for the ones in flight (bounded by their deadlines). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    for (const cs of this.clients) for (const c of cs) c.close();
  }

  private async worker(client: number, conns: Client[]): Promise<void> {
    const rand = this.opts.rand;
    let endpoint = client % conns.length;
    /** The last value this client saw per key: CAS expects it. */
    const seen = new Map<string, string | null>();
    let seq = 0;
    while (this.running) {
      const conn = conns[endpoint]!;
      const value = `c${client}-${++seq}`;
      const key = `k${Math.floor(rand() * this.opts.keys)}`;
      const r = rand();
      let ok: boolean;
      if (r < 0.1) {
        ok = await this.putUnique(conn, `${UNIQUE_PREFIX}${client}/${seq}`, value);
      } else {
        let input: KvInput;
        if (r < 0.45) input = { kind: 'get', key };
        else if (r < 0.7) input = { kind: 'put', key, value };
        else if (r < 0.75) input = { kind: 'delete', key };
        else input = { kind: 'cas', key, expected: seen.get(key) ?? null, value };
        const out = await this.run(client, conn, input);
        ok = out !== undefined;
        if (out?.kind === 'get') seen.set(key, out.value);
        if (out?.kind === 'put' && input.kind === 'put') seen.set(key, input.value);
        if (out?.kind === 'cas' && out.succeeded && input.kind === 'cas') seen.set(key, input.value);
      }
      // After an error try another member: this one may be dead, paused or cut off.
      if (!ok && this.opts.stickyEndpoints !== true) endpoint = (endpoint + 1) % conns.length;
      await new Promise((res) => setTimeout(res, this.opts.thinkMs * (0.5 + rand())));
    }
  }

  /** Runs one recorded operation; its output, or undefined when the outcome is unknown. */
  async run(client: number, conn: Client, input: KvInput): Promise<KvOutput | undefined> {
    const rec = this.recorder.begin(client, input);
    try {
      const { output, revision } = await executeWithRevision(conn, input, this.opts.serializableReads === true);
      rec.ok(output);
      this.counts.ok++;
      this.recordWrite(input, output, revision);
      return output;
    } catch {
      rec.unknown();
      this.counts.unknown++;
      this.recordWrite(input, undefined, 0);
      return undefined;
    }
  }

  /** Adds a write to `writes`; `output` undefined means its outcome is unknown. */
  private recordWrite(input: KvInput, output: KvOutput | undefined, revision: number): void {
    if (input.kind === 'get') return;
    const type = input.kind === 'delete' ? 'delete' : 'put';
    const value = input.kind === 'delete' ? {} : { value: input.value };
    const changed = output === undefined ? undefined
      : output.kind === 'cas' ? output.succeeded
      : output.kind === 'delete' ? (output.deleted ?? 1) > 0
      : true;
    const outcome = changed === undefined ? { status: 'unknown' as const } : changed ? { status: 'applied' as const, revision } : { status: 'not-applied' as const };
    this.writes.push({ type, key: input.key, ...value, outcome });
  }

  private async putUnique(conn: Client, key: string, value: string): Promise<boolean> {
    try {
      const r = await conn.put({ key: Buffer.from(key), value: Buffer.from(value) });
      this.acknowledgedUnique.add(key);
      this.writes.push({ type: 'put', key, value, outcome: { status: 'applied', revision: Number(r.header?.revision ?? 0n) } });
      return true;
    } catch {
      this.unknownUnique.add(key);
      this.writes.push({ type: 'put', key, value, outcome: { status: 'unknown' } });
      return false;
    }
  }
}

/** One operation as gRPC calls; reads are linearizable (etcd's default) unless `serializable`. */
export async function execute(conn: Client, input: KvInput, serializable = false): Promise<KvOutput> {
  return (await executeWithRevision(conn, input, serializable)).output;
}

/** `execute`, plus the revision of the answer's header (a write's revision when it changed the store). */
async function executeWithRevision(conn: Client, input: KvInput, serializable: boolean): Promise<{ output: KvOutput; revision: number }> {
  const key = Buffer.from(input.key);
  switch (input.kind) {
    case 'get': {
      const r = await conn.range({ key, serializable });
      return { output: { kind: 'get', value: r.kvs.length === 0 ? null : r.kvs[0]!.value.toString() }, revision: Number(r.header?.revision ?? 0n) };
    }
    case 'put': {
      const r = await conn.put({ key, value: Buffer.from(input.value) });
      return { output: { kind: 'put' }, revision: Number(r.header?.revision ?? 0n) };
    }
    case 'delete': {
      const r = await conn.deleteRange({ key });
      return { output: { kind: 'delete', deleted: Number(r.deleted) }, revision: Number(r.header?.revision ?? 0n) };
    }
    case 'cas': {
      // Absent is "version == 0"; a value compares with VALUE (false on an absent key).
      const compare = input.expected === null
        ? { key, target: Compare_CompareTarget.VERSION, result: Compare_CompareResult.EQUAL, version: 0n }
        : { key, target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, value: Buffer.from(input.expected) };
      const r = await conn.txn({ compare: [compare], success: [{ requestPut: { key, value: Buffer.from(input.value) } }] });
      return { output: { kind: 'cas', succeeded: r.succeeded }, revision: Number(r.header?.revision ?? 0n) };
    }
  }
}
