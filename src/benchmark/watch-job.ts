// watch and watch-latency: watchers on streams spread over the worker's channels, then puts
// whose value carries the put's index, so each event's latency is measured from its put.

import { performance } from 'node:perf_hooks';
import type { WorkerJob, WorkerMessage } from './job.js';
import { type BidiCall, type H2Conn, METHODS, errorText } from './h2-grpc.js';
import { benchKey, encodePut, encodeWatchCreate } from './wire.js';
import { WatchResponse } from '../gen/etcdserverpb/rpc.js';

/** How long to wait for the last events after the last put before counting them missing. */
const EVENT_GRACE_MS = 10_000;

export async function runWatchJob(
  job: WorkerJob,
  conns: H2Conn[],
  post: (m: WorkerMessage) => void,
  waitStart: () => Promise<void>,
): Promise<void> {
  const latencyMode = job.command === 'watch-latency';
  const n = (k: string) => Number(job.flags[k] ?? 0);
  const streams = Math.max(1, n('streams'));
  const perStream = Math.max(1, latencyMode ? n('watchers-per-stream') : n('watch-per-stream'));
  const putTotal = n('put-total');
  const putRate = n('put-rate');
  const keySize = Math.max(1, n('key-size'));
  const space = latencyMode ? 1 : Math.max(1, n('key-space-size'));
  const sequential = job.flags['sequential-keys'] === true;
  const keys = Array.from({ length: space }, (_, i) => benchKey(keySize, i));
  const watchersOnKey = new Array<number>(space).fill(0);

  const errors = new Map<string, number>();
  const fail = (err: unknown) => {
    const t = errorText(err);
    errors.set(t, (errors.get(t) ?? 0) + 1);
  };
  const errorsCount = () => [...errors.values()].reduce((a, b) => a + b, 0);
  const createLat = new Float64Array(streams * perStream);
  let created = 0;
  const putLat = new Float64Array(putTotal);
  let puts = 0;
  const putStart = new Float64Array(putTotal);
  let expectedEvents = 0;
  const eventCapacity = putTotal * perStream * streams;
  const eventLat = new Float64Array(Math.min(eventCapacity, 50_000_000));
  let events = 0;
  let onAllEvents: () => void = () => {};

  // Phase 1: create every watcher, one stream at a time per channel, timing each creation.
  const calls: BidiCall[] = [];
  await Promise.all(
    Array.from({ length: streams }, (_, s) => {
      const call = conns[s % conns.length]!.bidi(METHODS.watch);
      calls.push(call);
      const pendingCreates: number[] = [];
      return new Promise<void>((resolve) => {
        let createdHere = 0;
        call.on('data', (buf: Buffer) => {
          const res = WatchResponse.decode(buf);
          const now = performance.now();
          if (res.created) {
            const t0 = pendingCreates.shift();
            if (t0 !== undefined) createLat[created++] = (now - t0) / 1000;
            if (++createdHere === perStream) resolve();
          }
          for (const ev of res.events) {
            const v = ev.kv?.value;
            if (!v || v.length < 4) continue;
            const idx = Buffer.from(v.buffer, v.byteOffset, v.length).readUInt32BE(0);
            if (events < eventLat.length) eventLat[events] = (now - putStart[idx]!) / 1000;
            events++;
            if (events >= expectedEvents && puts + errorsCount() >= putTotal) onAllEvents();
          }
        });
        call.on('error', (err: unknown) => {
          fail(err);
          resolve();
        });
        for (let w = 0; w < perStream; w++) {
          const k = sequential || latencyMode ? (s * perStream + w) % space : Math.floor(Math.random() * space);
          watchersOnKey[k]!++;
          pendingCreates.push(performance.now());
          call.write(encodeWatchCreate(keys[k]!));
        }
      });
    }),
  );
  post({ type: 'ready' });
  await waitStart();
  const startedAt = performance.timeOrigin + performance.now();
  const ticker = setInterval(() => post({ type: 'progress', done: puts }), 200);

  // Phase 2: serial puts at --put-rate; each put's value starts with its index.
  const value = Buffer.alloc(Math.max(4, n('val-size')));
  const interval = putRate > 0 ? 1000 / putRate : 0;
  let nextSlot = performance.now();
  for (let i = 0; i < putTotal; i++) {
    if (interval > 0) {
      const now = performance.now();
      const slot = Math.max(now, nextSlot);
      nextSlot = slot + interval;
      if (slot - now >= 1) await new Promise((r) => setTimeout(r, slot - now));
    }
    const k = sequential ? i % space : Math.floor(Math.random() * space);
    const v = Buffer.from(value);
    v.writeUInt32BE(i, 0);
    expectedEvents += watchersOnKey[k]!;
    const t0 = performance.now();
    putStart[i] = t0;
    await new Promise<void>((resolve) =>
      conns[0]!.unary(METHODS.put, encodePut(keys[k]!, v), (err) => {
        if (err) fail(err);
        else putLat[puts++] = (performance.now() - t0) / 1000;
        resolve();
      }),
    );
  }
  if (events < expectedEvents) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, EVENT_GRACE_MS);
      onAllEvents = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  const finishedAt = performance.timeOrigin + performance.now();
  clearInterval(ticker);
  for (const c of calls) c.cancel();
  const notes = [`watchers created: ${created} of ${streams * perStream}; events received: ${events} of ${expectedEvents} expected`];
  if (events < expectedEvents) {
    const missing = `missing ${expectedEvents - events} watch events after ${EVENT_GRACE_MS / 1000}s`;
    errors.set(missing, 1);
  }
  const series: Record<string, Float64Array> = latencyMode
    ? { event: eventLat.slice(0, Math.min(events, eventLat.length)) }
    : { create: createLat.slice(0, created), put: putLat.slice(0, puts), event: eventLat.slice(0, Math.min(events, eventLat.length)) };
  post({ type: 'done', startedAt, finishedAt, series, errors: [...errors], notes });
}
