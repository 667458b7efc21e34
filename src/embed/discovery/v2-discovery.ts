// Bootstrapping through a v2 discovery URL (--discovery), as etcd's v2discovery does:
// the URL names a directory holding `_config/size`; each new member registers itself
// there under its hex id with "name=peerURL,...", and the first `size` registrations by
// creation order form the initial cluster. Everyone computes the same list, so the
// members agree on their ids without talking to each other first.

import { formatId } from '../../pkg/ids.js';
import { V2Error, V2KeysClient, V2_NODE_EXIST, type FetchLike, type V2Node } from './v2-keys-client.js';

export const ErrInvalidURL = 'discovery: invalid URL';
export const ErrBadSizeKey = 'discovery: size key is bad';
export const ErrSizeNotFound = 'discovery: size key not found';
export const ErrDuplicateID = 'discovery: found duplicate id';
export const ErrDuplicateName = 'discovery: found duplicate name';
export const ErrFullCluster = 'discovery: cluster is full';
export const ErrTooManyRetries = 'discovery: too many retries';

/** A failed discovery; its message is etcd's DiscoveryError text. */
export class DiscoveryError extends Error {
  constructor(
    readonly op: string,
    readonly reason: Error,
  ) {
    super(`failed to ${op} discovery cluster (${reason.message})`);
    this.name = 'DiscoveryError';
  }
}

export interface DiscoveryLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface DiscoveryDeps {
  fetch?: FetchLike;
  /** Waits between retries; tests pass one that does not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Retries after a connection error before giving up (etcd: 3). */
  maxRetries?: number;
}

interface Joining {
  client: V2KeysClient;
  /** The directory, e.g. /discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83. */
  cluster: string;
  endpoint: string;
  selfKey: string;
}

function parseDiscoveryUrl(durl: string): { endpoint: string; cluster: string } {
  let u: URL;
  try {
    u = new URL(durl);
  } catch {
    throw new Error(ErrInvalidURL);
  }
  const prefix = '/v2/keys';
  if (!u.pathname.startsWith(prefix) || u.pathname.length <= prefix.length + 1) throw new Error(ErrInvalidURL);
  return { endpoint: `${u.protocol}//${u.host}`, cluster: u.pathname.slice(prefix.length).replace(/\/+$/, '') };
}

function isConnectionError(err: unknown): boolean {
  return err instanceof Error && !(err instanceof V2Error) && !err.message.startsWith('discovery:');
}

/** Registered members, oldest first, without the _config directory. */
function members(dir: V2Node): V2Node[] {
  return (dir.nodes ?? []).filter((n) => !n.key.endsWith('/_config')).sort((a, b) => a.createdIndex - b.createdIndex);
}

async function checkCluster(j: Joining): Promise<{ all: V2Node[]; size: number; index: number }> {
  const sizeResp = await j.client.get(`${j.cluster}/_config/size`);
  const size = Number(sizeResp.node.value);
  if (!Number.isInteger(size) || size <= 0 || !/^\d+$/.test(sizeResp.node.value ?? '')) throw new Error(ErrBadSizeKey);
  const dir = await j.client.get(j.cluster);
  const all = members(dir.node);
  const selfAt = all.findIndex((n) => n.key === j.selfKey);
  if (all.length >= size && (selfAt < 0 || selfAt >= size)) throw new Error(ErrFullCluster);
  return { all, size, index: dir.index };
}

async function waitNodes(j: Joining, all: V2Node[], size: number, index: number, log: DiscoveryLogger): Promise<V2Node[]> {
  const nodes = all.slice(0, size);
  const self = nodes.find((n) => n.key === j.selfKey);
  if (self) log.info('found self from discovery server', { self: j.selfKey.slice(j.cluster.length + 1) });
  for (const n of nodes) if (n.key !== j.selfKey) log.info('found peer from discovery server', { peer: n.value });
  let next = index + 1;
  while (nodes.length < size) {
    log.info('found peers from discovery server; waiting for more', {
      'discovery-url': j.endpoint,
      'found-peers': nodes.length,
      'needed-peers': size - nodes.length,
    });
    const resp = await j.client.watch(j.cluster, next);
    next = resp.node.modifiedIndex + 1;
    if (resp.node.key.startsWith(`${j.cluster}/_config`) || nodes.some((n) => n.key === resp.node.key)) continue;
    if (resp.action === 'create' || resp.action === 'set') {
      nodes.push(resp.node);
      log.info('found peer from discovery server', { peer: resp.node.value });
    }
  }
  log.info('found all needed peers from discovery server', { 'discovery-url': j.endpoint, 'found-peers': nodes.map((n) => n.value).join(',') });
  return nodes;
}

function nodesToCluster(nodes: V2Node[]): string {
  const names = new Set<string>();
  for (const n of nodes) {
    for (const part of (n.value ?? '').split(',')) {
      const name = part.slice(0, part.indexOf('='));
      names.add(name);
    }
  }
  const cluster = nodes.map((n) => n.value ?? '').join(',');
  // Every registration contributes its own name; fewer names than registrations means a clash.
  if (names.size !== nodes.length) throw new Error(ErrDuplicateName);
  return cluster;
}

/**
 * Registers this member at `durl` and waits until the cluster is complete; resolves
 * with the initial cluster text ("name=url,..."). `selfConfig` is this member's own
 * "name=peerURL,..." entry, `memberId` its id computed with the discovery URL as token.
 */
export async function joinDiscoveryCluster(durl: string, memberId: bigint, selfConfig: string, log: DiscoveryLogger, deps: DiscoveryDeps = {}): Promise<string> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = deps.maxRetries ?? 3;
  let parsed: { endpoint: string; cluster: string };
  try {
    parsed = parseDiscoveryUrl(durl);
  } catch (err) {
    throw new DiscoveryError('join', err as Error);
  }
  const j: Joining = {
    client: new V2KeysClient(parsed.endpoint, deps.fetch),
    cluster: parsed.cluster,
    endpoint: parsed.endpoint,
    selfKey: `${parsed.cluster}/${formatId(memberId)}`,
  };
  let retries = 0;
  const withRetry = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        if (retries >= maxRetries) throw new Error(ErrTooManyRetries);
        const waitMs = 2 ** (retries + 1) * 1000;
        retries++;
        log.warn(`${step}: error connecting to ${j.endpoint}, retrying in ${waitMs / 1000}s`, { error: (err as Error).message });
        await sleep(waitMs);
      }
    }
  };
  try {
    // A full cluster is refused before registering, so a late member leaves no trace.
    await withRetry('cluster status check', () => checkCluster(j));
    await withRetry('register self', async () => {
      try {
        await j.client.create(j.selfKey, selfConfig);
      } catch (err) {
        if (err instanceof V2Error && err.errorCode === V2_NODE_EXIST) throw new Error(ErrDuplicateID);
        throw err;
      }
    });
    const { all, size, index } = await withRetry('cluster status check', () => checkCluster(j));
    const nodes = await withRetry('wait for peers', () => waitNodes(j, all, size, index, log));
    return nodesToCluster(nodes);
  } catch (err) {
    throw new DiscoveryError('join', err as Error);
  }
}
