// What the main thread hands each worker thread, and what comes back.

export interface WorkerJob {
  command: string;
  flags: Record<string, string | number | boolean>;
  args: string[];
  /** Endpoints ("host:port") for this worker's channels, used round-robin. */
  endpoints: string[];
  /** Index of this worker's first connection overall (endpoint round-robin). */
  connOffset: number;
  /**
   * Index of this worker's first request overall: with --sequential-keys, request i of the
   * whole run writes key i (mod the key space), as etcd's benchmark does, whatever the
   * split over workers and clients.
   */
  requestOffset: number;
  conns: number;
  /** Requests per client loop owned by this worker. */
  perClient: number[];
  /** This worker's share of --rate (0 = unlimited). */
  rate: number;
  dialTimeoutMs: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number }
  | {
      type: 'done';
      /** Absolute ms (performance.timeOrigin + now) of the first request and the last answer. */
      startedAt: number;
      finishedAt: number;
      /** Latencies in seconds per report series (e.g. "" or "read"/"write"). */
      series: Record<string, Float64Array>;
      errors: [string, number][];
      notes: string[];
    }
  | { type: 'fatal'; message: string };
