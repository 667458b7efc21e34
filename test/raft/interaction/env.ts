// The environment behind the scripted raft interaction tests (test/raft/testdata/*.txt):
// a set of RawNodes over MemoryStorage, a message queue, and commands that drive them
// one visible step at a time. Every command returns the text it printed; the runner
// compares it with the expected output in the script.
//
// Commands (arguments are positional, options are key=value):
//   add-nodes <n> [voters=(1,2,3)] [learners=(4)] [index=<i>] [prevote=true] [checkquorum=true]
//             [election=<ticks>] [heartbeat=<ticks>] [max-inflight=<n>] [max-size=<bytes>]
//             [max-uncommitted=<bytes>]
//       Adds n nodes (next free ids). With voters/index, each starts from a snapshot at
//       `index` (term 1) holding that configuration; without, it starts empty.
//   campaign <id> | propose <id> <data> | propose-conf-change <id> add=<n>|learner=<n>|remove=<n>|update=<n>
//   process-ready <id>...      handle one Ready per node: print, persist, apply, advance
//   deliver-msgs [drop=true] <id>...   deliver (or drop) queued messages addressed to the ids
//   stabilize [<id>...]        process readies and deliver until nothing is left
//   tick <id> <n> | tick-election <id> | tick-heartbeat <id>
//   partition (<ids>) (<ids>)... | recover     messages across groups are dropped on delivery
//   transfer-leader <from> <to> | read-index <id> <ctx>
//   report-unreachable <id> <peer> | report-snapshot <id> <peer> ok|fail
//   compact <id> <index>       snapshot the applied state at index and compact the log
//   restart <id>               rebuild the node from its storage (unpersisted state is lost)
//   raft-state | status <id> | raft-log <id> | applied <id> | log-level info|none

import { RawNode } from '../../../src/raft/raw-node.js';
import { MemoryStorage } from '../../../src/raft/storage.js';
import { decodeConfChange } from '../../../src/raft/confchange-codec.js';
import { ErrProposalDropped } from '../../../src/raft/errors.js';
import { CONF_CHANGE_TYPE_NAMES, STATE_NAMES, describeEntry, describeHardState, describeMessage, hexId } from '../../../src/raft/describe.js';
import { PROGRESS_STATE_NAMES } from '../../../src/raft/tracker/progress.js';
import { ConfChangeType, EntryType, type ConfState, type Entry, type Message, type NodeId, type Ready } from '../../../src/raft/types.js';
import { seeded } from '../sim-network.js';

export interface Command {
  name: string;
  args: string[];
  opts: Map<string, string>;
}

/** Parses "cmd a b key=value (1,2) k=(3,4)" into positional args and options. */
export function parseCommand(line: string): Command {
  const tokens = line.trim().split(/\s+/);
  const name = tokens.shift()!;
  const args: string[] = [];
  const opts = new Map<string, string>();
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq > 0) opts.set(t.slice(0, eq), t.slice(eq + 1));
    else args.push(t);
  }
  return { name, args, opts };
}

function parseIdList(s: string | undefined): NodeId[] {
  if (!s) return [];
  return s
    .replace(/[()]/g, '')
    .split(',')
    .filter((x) => x.length > 0)
    .map((x) => BigInt(x));
}

const describeConf = (data: Uint8Array): string => {
  const cc = decodeConfChange(data);
  return `${CONF_CHANGE_TYPE_NAMES[cc.type]}(${hexId(cc.nodeId)})`;
};

const describeEnt = (e: Entry): string => describeEntry(e, describeConf);
const describeMsg = (m: Message): string => describeMessage(m, describeConf);

interface NodeOptions {
  preVote: boolean;
  checkQuorum: boolean;
  electionTick: number;
  heartbeatTick: number;
  maxInflightMsgs: number;
  maxSizePerMsg: number;
  maxUncommittedEntriesSize: number;
}

interface EnvNode {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  opts: NodeOptions;
  /** Committed entries applied, in order (the node's "state machine"). */
  applied: Entry[];
  /** The configuration as applied (ConfState after the last applied conf change or snapshot). */
  confState: ConfState;
}

export class InteractionEnv {
  private readonly nodes = new Map<NodeId, EnvNode>();
  /** Messages sent and not yet delivered, in send order. */
  private queue: Message[] = [];
  /** Partition groups; empty means fully connected. */
  private groups: NodeId[][] = [];
  private out: string[] = [];
  private logLevel: 'info' | 'none' = 'info';
  /** One seeded source per environment: scripts are reproducible. */
  private readonly random = seeded(1);

  run(line: string): string {
    this.out = [];
    const cmd = parseCommand(line);
    this.dispatch(cmd);
    const text = this.out.join('\n');
    return text.length > 0 ? text : 'ok';
  }

  private print(s: string): void {
    this.out.push(s);
  }

  private get(idArg: string | undefined): EnvNode {
    if (idArg === undefined) throw new Error('missing node id');
    const n = this.nodes.get(BigInt(idArg));
    if (!n) throw new Error(`no node ${idArg}`);
    return n;
  }

  private ids(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private dispatch(cmd: Command): void {
    const a = cmd.args;
    switch (cmd.name) {
      case 'add-nodes':
        return this.addNodes(Number(a[0]), cmd.opts);
      case 'campaign':
        return this.get(a[0]).node.campaign();
      case 'propose':
        return this.propose(this.get(a[0]), () => this.get(a[0]).node.propose(new TextEncoder().encode(a[1] ?? '')));
      case 'propose-conf-change':
        return this.proposeConfChange(this.get(a[0]), cmd.opts);
      case 'process-ready':
        for (const id of a) this.processReady(this.get(id));
        return;
      case 'deliver-msgs':
        for (const id of a) this.deliver(BigInt(id), cmd.opts.get('drop') === 'true');
        return;
      case 'stabilize':
        return this.stabilize(a.length > 0 ? a.map((x) => BigInt(x)) : this.ids());
      case 'tick': {
        const n = this.get(a[0]);
        for (let i = 0; i < Number(a[1] ?? 1); i++) n.node.tick();
        return;
      }
      case 'tick-election': {
        // Exactly enough ticks for the (randomized) timeout to fire; on a leader, one
        // election timeout (a check-quorum round).
        const n = this.get(a[0]);
        const r = n.node.raft;
        const ticks = r.state === 2 ? n.opts.electionTick : Math.max(1, r.randomizedElectionTimeout - r.electionElapsed);
        for (let i = 0; i < ticks; i++) n.node.tick();
        return;
      }
      case 'tick-heartbeat': {
        const n = this.get(a[0]);
        for (let i = 0; i < n.opts.heartbeatTick; i++) n.node.tick();
        return;
      }
      case 'partition':
        this.groups = a.map(parseIdList);
        return;
      case 'recover':
        this.groups = [];
        return;
      case 'transfer-leader':
        return this.get(a[0]).node.transferLeader(BigInt(a[1]!));
      case 'read-index':
        return this.get(a[0]).node.readIndex(new TextEncoder().encode(a[1] ?? ''));
      case 'report-unreachable':
        return this.get(a[0]).node.reportUnreachable(BigInt(a[1]!));
      case 'report-snapshot':
        return this.get(a[0]).node.reportSnapshot(BigInt(a[1]!), a[2] !== 'fail');
      case 'compact':
        return this.compact(this.get(a[0]), Number(a[1]));
      case 'restart':
        return this.restart(this.get(a[0]));
      case 'raft-state':
        return this.raftState();
      case 'status':
        return this.status(this.get(a[0]));
      case 'raft-log':
        return this.raftLog(this.get(a[0]));
      case 'applied': {
        const n = this.get(a[0]);
        for (const e of n.applied) this.print(describeEnt(e));
        return;
      }
      case 'log-level':
        this.logLevel = a[0] === 'none' ? 'none' : 'info';
        return;
      default:
        throw new Error(`unknown command ${cmd.name}`);
    }
  }

  private makeNode(id: NodeId, storage: MemoryStorage, opts: NodeOptions): RawNode {
    const log = (level: string) => (msg: string) => {
      if (this.logLevel === 'info') this.print(`${level} ${msg}`);
    };
    return new RawNode({
      id,
      electionTick: opts.electionTick,
      heartbeatTick: opts.heartbeatTick,
      storage,
      maxSizePerMsg: opts.maxSizePerMsg,
      maxInflightMsgs: opts.maxInflightMsgs,
      maxUncommittedEntriesSize: opts.maxUncommittedEntriesSize,
      checkQuorum: opts.checkQuorum,
      preVote: opts.preVote,
      random: this.random,
      logger: { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN') },
    });
  }

  private addNodes(n: number, o: Map<string, string>): void {
    const opts: NodeOptions = {
      preVote: o.get('prevote') === 'true',
      checkQuorum: o.get('checkquorum') === 'true',
      electionTick: Number(o.get('election') ?? 10),
      heartbeatTick: Number(o.get('heartbeat') ?? 1),
      maxInflightMsgs: Number(o.get('max-inflight') ?? 256),
      maxSizePerMsg: Number(o.get('max-size') ?? 1 << 20),
      maxUncommittedEntriesSize: Number(o.get('max-uncommitted') ?? 0),
    };
    const voters = parseIdList(o.get('voters'));
    const learners = parseIdList(o.get('learners'));
    const index = Number(o.get('index') ?? 0);
    const confState: ConfState = { voters, learners };
    const first = this.nodes.size === 0 ? 1 : Number(this.ids()[this.ids().length - 1]!) + 1;
    for (let i = 0; i < n; i++) {
      const id = BigInt(first + i);
      const storage = new MemoryStorage();
      if (index > 0) {
        storage.applySnapshot({ data: new Uint8Array(), metadata: { index, term: 1, confState } });
        storage.setHardState({ term: 1, vote: 0n, commit: index });
      }
      const node = this.makeNode(id, storage, opts);
      this.nodes.set(id, { id, node, storage, opts, applied: [], confState: index > 0 ? confState : { voters: [], learners: [] } });
    }
  }

  private propose(n: EnvNode, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ErrProposalDropped)) throw err;
      this.print(`${hexId(n.id)}: ${err.name}: ${err.message}`);
    }
  }

  private proposeConfChange(n: EnvNode, o: Map<string, string>): void {
    const kinds: [string, ConfChangeType][] = [
      ['add', ConfChangeType.AddNode],
      ['learner', ConfChangeType.AddLearnerNode],
      ['remove', ConfChangeType.RemoveNode],
      ['update', ConfChangeType.UpdateNode],
    ];
    for (const [k, type] of kinds) {
      const v = o.get(k);
      if (v === undefined) continue;
      this.propose(n, () => n.node.proposeConfChange({ type, nodeId: BigInt(v), context: new Uint8Array(), id: 0n }));
      return;
    }
    throw new Error('propose-conf-change needs add=, learner=, remove= or update=');
  }

  private processReady(n: EnvNode): void {
    this.print(`> ${hexId(n.id)} handling Ready`);
    if (!n.node.hasReady()) {
      this.print('  <empty Ready>');
      return;
    }
    const rd = n.node.ready();
    this.printReady(rd);
    // Persist, then send, then apply, then advance: the driver's contract.
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.confState = rd.snapshot.metadata.confState;
    }
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    n.storage.append(rd.entries);
    this.queue.push(...rd.messages);
    for (const e of rd.committedEntries) {
      n.applied.push(e);
      if (e.type === EntryType.ConfChange) {
        const cs = n.node.applyConfChange(decodeConfChange(e.data));
        n.confState = cs;
      }
    }
    n.node.advance();
  }

  private printReady(rd: Ready): void {
    const lines: string[] = [`Ready MustSync=${rd.mustSync}:`];
    if (rd.softState) lines.push(`Lead:${hexId(rd.softState.lead)} State:${STATE_NAMES[rd.softState.raftState]}`);
    if (rd.hardState) lines.push(`HardState ${describeHardState(rd.hardState)}`);
    if (rd.entries.length > 0) {
      lines.push('Entries:');
      for (const e of rd.entries) lines.push(describeEnt(e));
    }
    if (rd.snapshot) {
      const md = rd.snapshot.metadata;
      lines.push(`Snapshot Index:${md.index} Term:${md.term} Voters:[${md.confState.voters.map(hexId).join(' ')}] Learners:[${md.confState.learners.map(hexId).join(' ')}]`);
    }
    if (rd.committedEntries.length > 0) {
      lines.push('CommittedEntries:');
      for (const e of rd.committedEntries) lines.push(describeEnt(e));
    }
    if (rd.messages.length > 0) {
      lines.push('Messages:');
      for (const m of rd.messages) lines.push(describeMsg(m));
    }
    if (rd.readStates.length > 0) {
      lines.push('ReadStates:');
      for (const rs of rd.readStates) lines.push(`Index:${rs.index} RequestCtx:${new TextDecoder().decode(rs.requestCtx)}`);
    }
    for (const l of lines) this.print(`  ${l}`);
  }

  private connected(a: NodeId, b: NodeId): boolean {
    if (this.groups.length === 0) return true;
    const ga = this.groups.findIndex((g) => g.includes(a));
    const gb = this.groups.findIndex((g) => g.includes(b));
    return ga === gb;
  }

  /** Delivers (or drops) every queued message to `to`, in send order. Returns how many. */
  private deliver(to: NodeId, drop: boolean): number {
    const mine = this.queue.filter((m) => m.to === to);
    this.queue = this.queue.filter((m) => m.to !== to);
    const n = this.nodes.get(to);
    for (const m of mine) {
      if (drop || !n || !this.connected(m.from, m.to)) {
        this.print(`dropped: ${describeMsg(m)}`);
        continue;
      }
      this.print(describeMsg(m));
      n.node.step(m);
    }
    return mine.length;
  }

  private stabilize(ids: NodeId[]): void {
    // Bounded: a script that never settles is a bug, not a hang.
    for (let round = 0; round < 1000; round++) {
      let progress = false;
      for (const id of ids) {
        const n = this.nodes.get(id)!;
        if (n.node.hasReady()) {
          this.processReady(n);
          progress = true;
        }
      }
      for (const id of ids) {
        if (this.queue.some((m) => m.to === id)) {
          this.print(`> ${hexId(id)} receiving messages`);
          const lines = this.out.length;
          this.deliver(id, false);
          for (let i = lines; i < this.out.length; i++) this.out[i] = `  ${this.out[i]}`;
          progress = true;
        }
      }
      if (!progress) return;
    }
    throw new Error('stabilize did not settle in 1000 rounds');
  }

  private compact(n: EnvNode, index: number): void {
    n.storage.createSnapshot(index, n.confState, new TextEncoder().encode(`snap@${index}`));
    n.storage.compact(index);
    this.raftLog(n);
  }

  private restart(n: EnvNode): void {
    // The queue keeps messages in flight to and from it; unpersisted state is gone.
    n.node = this.makeNode(n.id, n.storage, n.opts);
    n.applied = [];
  }

  private raftState(): void {
    for (const id of this.ids()) {
      const n = this.nodes.get(id)!;
      const st = n.node.status();
      const role = st.config.voters.includes(id) ? 'Voter' : st.config.learners.includes(id) ? 'Learner' : 'Non-Member';
      this.print(`${hexId(id)}: ${STATE_NAMES[st.raftState]} (${role}) Term:${st.term} Vote:${hexId(st.vote)} Lead:${hexId(st.lead)} Commit:${st.commit}`);
    }
  }

  private status(n: EnvNode): void {
    const st = n.node.status();
    for (const [id, p] of st.progress) {
      let s = `${hexId(id)}: ${PROGRESS_STATE_NAMES[p.state]} match=${p.match} next=${p.next}`;
      if (p.isLearner) s += ' learner';
      if (p.paused) s += ' paused';
      if (p.inflight > 0) s += ` inflight=${p.inflight}`;
      if (p.pendingSnapshot > 0) s += ` pendingSnap=${p.pendingSnapshot}`;
      if (!p.recentActive) s += ' inactive';
      this.print(s);
    }
  }

  private raftLog(n: EnvNode): void {
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) {
      this.print(`log is empty: first index=${first}, last index=${last}`);
      return;
    }
    for (const e of n.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) this.print(describeEnt(e));
  }
}
