// v3electionpb.Election's calls over the recipes, transport-free (gRPC and the JSON
// gateway both call these). Errors read as etcd's election service words them.

import type {
  CampaignRequest,
  CampaignResponse,
  LeaderKey,
  LeaderRequest,
  LeaderResponse,
  ProclaimRequest,
  ProclaimResponse,
  ResignRequest,
  ResignResponse,
} from '../gen/v3electionpb/v3election.js';
import { campaign as runCampaign, currentLeader, observe as observeLeader, proclaim as runProclaim, resign as runResign, type Leadership } from './election.js';
import { asUnknown, ConcurrencyErrors } from './errors.js';
import type { ConcurrencyKv } from './kv-port.js';
import { DEFAULT_SESSION_TTL } from './server-kv.js';

async function reported<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asUnknown(err);
  }
}

function leadership(k: LeaderKey | undefined): Leadership {
  if (!k) throw ConcurrencyErrors.MissingLeaderKey;
  return { name: Buffer.from(k.name), key: Buffer.from(k.key), rev: k.rev, lease: k.lease };
}

export function campaign(kv: ConcurrencyKv, r: CampaignRequest, signal: AbortSignal): Promise<CampaignResponse> {
  return reported(async () => {
    const lease = r.lease !== 0n ? r.lease : await kv.grantLease(DEFAULT_SESSION_TTL);
    const { leader, header } = await runCampaign(kv, Buffer.from(r.name), lease, Buffer.from(r.value), signal);
    return { header, leader: { name: leader.name, key: leader.key, rev: leader.rev, lease: leader.lease } };
  });
}

export function proclaim(kv: ConcurrencyKv, r: ProclaimRequest): Promise<ProclaimResponse> {
  return reported(async () => ({ header: await runProclaim(kv, leadership(r.leader), Buffer.from(r.value)) }));
}

export function resign(kv: ConcurrencyKv, r: ResignRequest): Promise<ResignResponse> {
  return reported(async () => ({ header: await runResign(kv, leadership(r.leader)) }));
}

export function leader(kv: ConcurrencyKv, r: LeaderRequest): Promise<LeaderResponse> {
  return reported(() => currentLeader(kv, Buffer.from(r.name)));
}

/** Each leader value in turn until `signal` aborts; a failure ends it with the recipe's error. */
export async function* observe(kv: ConcurrencyKv, r: LeaderRequest, signal: AbortSignal): AsyncGenerator<LeaderResponse> {
  try {
    for await (const v of observeLeader(kv, Buffer.from(r.name), signal)) yield { header: v.header, kv: v.kv };
  } catch (err) {
    throw asUnknown(err);
  }
}
