// A deterministic in-memory cluster for raft tests: nodes are RawNodes over
// MemoryStorage, the network is a seeded queue that can drop, delay, reorder and
// partition, and "crash" restarts a node from what it had persisted.

import { RawNode } from '../../src/raft/raw-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { decodeConfChange } from '../../src/raft/confchange-codec.js';
import { EntryType, type Entry, type Message, type NodeId } from '../../src/raft/types.js';

export { seeded } from '../helpers/seeded-random.js';

export interface SimNode {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  applied: Entry[];
  up: boolean;
}

export interface SimOptions {
  dropRate: number;
  reorder: boolean;
}

export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  private queue: Message[] = [];
  /** Pairs that cannot talk, as "a-b" keys in both directions. */
  private cut = new Set<string>();
  /** Every (term → leader) ever observed, for election safety. */
  readonly leadersByTerm = new Map<number, NodeId>();

  constructor(
    readonly ids: NodeId[],
    private readonly rand: () => number,
    private readonly opts: SimOptions,
  ) {
    for (const id of ids) {
      const storage = new MemoryStorage();
      const node = this.makeNode(id, storage);
      node.bootstrap(ids.map((p) => ({ id: p, context: new Uint8Array() })));
      this.nodes.set(id, { id, node, storage, applied: [], up: true });
    }
  }

  private makeNode(id: NodeId, storage: MemoryStorage): RawNode {
    return new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      checkQuorum: true,
      preVote: true,
      random: this.rand,
    });
  }

  /** Processes every pending Ready of every live node, as a driver would (persist, send, apply, advance). */
  processReadies(): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      while (n.node.hasReady()) {
        const rd = n.node.ready();
        if (rd.hardState) n.storage.setHardState(rd.hardState);
        n.storage.append(rd.entries);
        for (const m of rd.messages) this.queue.push(m);
        for (const e of rd.committedEntries) {
          n.applied.push(e);
          if (e.type === EntryType.ConfChange) n.node.applyConfChange(decodeConfChange(e.data));
        }
        n.node.advance();
      }
      const st = n.node.status();
      if (st.raftState === 2) {
        const prev = this.leadersByTerm.get(st.term);
        if (prev !== undefined && prev !== n.id) throw new Error(`election safety violated: ${prev} and ${n.id} both lead term ${st.term}`);
        this.leadersByTerm.set(st.term, n.id);
      }
    }
  }

  /** Delivers queued messages (subject to drops, reordering and partitions). */
  deliver(): void {
    let msgs = this.queue;
    this.queue = [];
    if (this.opts.reorder) {
      for (let i = msgs.length - 1; i > 0; i--) {
        const j = Math.floor(this.rand() * (i + 1));
        [msgs[i], msgs[j]] = [msgs[j]!, msgs[i]!];
      }
    }
    msgs = msgs.filter((m) => this.rand() >= this.opts.dropRate);
    for (const m of msgs) {
      const to = this.nodes.get(m.to);
      const from = this.nodes.get(m.from);
      if (!to?.up || !from?.up || this.cut.has(`${m.from}-${m.to}`)) continue;
      to.node.step(m);
    }
  }

  tickAll(): void {
    for (const n of this.nodes.values()) if (n.up) n.node.tick();
  }

  /** One round: tick, then settle messages a few times. */
  step(): void {
    this.tickAll();
    for (let i = 0; i < 3; i++) {
      this.processReadies();
      this.deliver();
    }
    this.processReadies();
  }

  partition(group: NodeId[]): void {
    this.cut.clear();
    for (const a of this.ids) for (const b of this.ids) if (group.includes(a) !== group.includes(b)) this.cut.add(`${a}-${b}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Stops a node and restarts it later from its persisted state only. */
  crash(id: NodeId): void {
    this.nodes.get(id)!.up = false;
  }

  restart(id: NodeId): void {
    const n = this.nodes.get(id)!;
    const storage = new MemoryStorage();
    const { hardState } = n.storage.initialState();
    storage.setHardState(hardState);
    storage.append(n.storage.entries(1, n.storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER));
    n.storage = storage;
    n.node = this.makeNode(id, storage);
    // The state machine is rebuilt by replaying the log from the start.
    n.applied = [];
    n.up = true;
  }

  leader(): SimNode | undefined {
    for (const n of this.nodes.values()) if (n.up && n.node.status().raftState === 2) return n;
    return undefined;
  }
}
