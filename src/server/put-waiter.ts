// A put waiting for its entry to be applied, answered through a callback rather than a
// promise (EtcdServer.putWithCallback). On the promise path every put paid for the wait's
// promise and its two resolving functions, two async functions (proposeInternal, put),
// the gRPC adapter's then() with its two closures, and three microtask turns between the
// apply and the reply; this object is the whole of it.

import type { PutResponse } from '../gen/etcdserverpb/rpc.js';
import * as metrics from '../metrics/registry.js';
import type { ApplyResult } from './applier.js';
import type { InternalRaftRequest } from '../gen/etcdserverpb/raft_internal.js';
import type { ProposedRequest } from './proposal-handoff.js';
import * as putTrace from '../metrics/put-trace.js';
import type { WaitEntry, WaitListener } from './wait-registry.js';

/** Called once: with the error the put failed with, or with its response. */
export type PutDone = (err: Error | undefined, res: PutResponse | undefined) => void;

/**
 * Also the registry's entry for the put and the proposal the applier takes back
 * (proposal-handoff.ts): one object a put where there were three.
 */
export class PutWaiter implements WaitListener<ApplyResult>, WaitEntry<ApplyResult, ProposedRequest>, ProposedRequest {
  deadline = 0;
  private readonly trace = putTrace.TRACE ? putTrace.newPut() : undefined;

  constructor(
    /** Puts the member's current header on the applied response (EtcdServer.withHeader). */
    private readonly withHeader: (resp: PutResponse) => PutResponse,
    private readonly done: PutDone,
    readonly data: Uint8Array,
    readonly req: InternalRaftRequest,
  ) {}

  get listener(): this {
    return this;
  }

  get context(): this {
    return this;
  }

  /** Applied: the put's response, or the error its apply answered (not a failed proposal). */
  resolve(result: ApplyResult): void {
    if (this.trace) putTrace.putApplied(this.trace);
    if (result.err) this.settle(result.err, undefined);
    else this.settle(undefined, this.withHeader(result.resp as PutResponse));
  }

  /** The proposal failed (timeout, leader lost, too many pending), as proposeInternal counts it. */
  reject(err: Error): void {
    metrics.proposalsFailed.inc();
    this.settle(err, undefined);
  }

  /**
   * `done` runs inside the applier's loop (or the registry's timer): a fault in the reply
   * must not stop the entries after this one from being applied. It surfaces as an
   * uncaught error on its own turn, as a throw in a promise's then() did (an unhandled
   * rejection).
   */
  private settle(err: Error | undefined, res: PutResponse | undefined): void {
    try {
      this.done(err, res);
    } catch (fault) {
      queueMicrotask(() => {
        throw fault;
      });
    }
  }
}
