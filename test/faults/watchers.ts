// Watchers for the fault runs: each watches the whole key space from revision 1 through
// its own client, first connected to a different member (watcher i starts on member i mod
// n), and records every event. The client library's WatchStream does what clientv3 does
// after an error: it reopens the stream (on the next member that answers) and re-creates
// the watch from the revision after the last one delivered, so a correct cluster gives
// each watcher the store's whole history exactly once (see checkWatches).

import { Client, type Watcher } from '../../src/client/client.js';
import { Event_EventType } from '../../src/gen/mvccpb/kv.js';
import type { WatchedEvent, WatcherRecord } from '../../src/linearizability/index.js';

/** The whole key space: key "\0" with range end "\0". */
const ALL_KEYS = Buffer.from([0]);
const POLL_MS = 50;

interface RunningWatcher {
  record: WatcherRecord;
  client: Client;
  watcher?: Watcher;
}

export class WatchRecorder {
  private readonly running: RunningWatcher[] = [];

  constructor(private readonly endpoints: readonly string[], private readonly count: number) {}

  /** Starts every watcher; the creates complete whenever their member answers. */
  start(): void {
    for (let i = 0; i < this.count; i++) {
      const first = i % this.endpoints.length;
      const endpoints = [...this.endpoints.slice(first), ...this.endpoints.slice(0, first)];
      const client = new Client({ endpoints, dialTimeoutMs: 300 });
      const w: RunningWatcher = { record: { name: `w${i}@${endpoints[0]}`, events: [] }, client };
      this.running.push(w);
      void client.watchStream().watch({ key: ALL_KEYS, rangeEnd: ALL_KEYS, startRevision: 1n }, (r) => {
        if (r.canceled) w.record.canceled = `${r.cancelReason || 'canceled'}${r.compactRevision > 0n ? ` (compact revision ${r.compactRevision})` : ''}`;
        for (const e of r.events) {
          if (e.kv === undefined) continue;
          const ev: WatchedEvent = { type: e.type === Event_EventType.DELETE ? 'delete' : 'put', key: e.kv.key.toString(), revision: Number(e.kv.modRevision) };
          if (ev.type === 'put') ev.value = e.kv.value.toString();
          w.record.events.push(ev);
        }
      }).then(
        (watcher) => (w.watcher = watcher),
        (err: Error) => (w.record.canceled = `create failed: ${err.message}`),
      );
    }
  }

  /**
   * Waits until every watcher has received everything up to `revision` (or was canceled),
   * at most `timeoutMs`; a watcher still behind then shows up as a gap in the check.
   */
  async catchUp(revision: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const behind = (w: RunningWatcher): boolean => w.record.canceled === undefined && (w.watcher === undefined || Number(w.watcher.nextRevision) <= revision);
    while (this.running.some(behind) && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
  }

  records(): WatcherRecord[] {
    return this.running.map((w) => w.record);
  }

  close(): void {
    for (const w of this.running) w.client.close();
  }
}
