// endpoint health, endpoint status and member list, run as etcdctl 3.4 runs them.

import { ClientError } from '../../client/client.js';
import { ExitCode, CtlError } from './errors.js';
import { display, type EndpointHealth, type EndpointStatus } from './printer.js';
import type { Session } from './session.js';

const PERMISSION_DENIED = 'etcdserver: permission denied';

/**
 * One endpoint's check, as etcdctl 3.4 does it: a linearizable Get of "health" through
 * a client of its own; permission denied counts as healthy, since the request went
 * through consensus. (3.4 does not look at alarms; that check came with 3.5.)
 */
async function checkHealth(s: Session, ep: string): Promise<EndpointHealth> {
  const c = await s.client([ep]);
  const started = process.hrtime.bigint();
  const took = () => Number(process.hrtime.bigint() - started);
  try {
    await s.call(() => c.range({ key: Buffer.from('health') }));
    return { endpoint: ep, health: true, tookNs: took() };
  } catch (e) {
    if (e instanceof ClientError && e.message === PERMISSION_DENIED) return { endpoint: ep, health: true, tookNs: took() };
    return { endpoint: ep, health: false, tookNs: took(), error: e instanceof ClientError ? e.userText : String(e) };
  } finally {
    c.close();
  }
}

export async function endpointHealthCommand(s: Session): Promise<number> {
  const { format, printer } = s.printer();
  const eps = await s.targetEndpoints();
  // etcdctl checks all endpoints at once and lists them as the answers arrive.
  const results: EndpointHealth[] = [];
  await Promise.all(eps.map(async (ep) => results.push(await checkHealth(s, ep))));
  display(printer, format, 'endpointHealth', results);
  if (results.some((h) => !h.health)) throw new CtlError('unhealthy cluster', ExitCode.Error);
  return ExitCode.Success;
}

export async function endpointStatusCommand(s: Session): Promise<number> {
  const { format, printer } = s.printer();
  const eps = await s.targetEndpoints();
  const statuses: EndpointStatus[] = [];
  let failed = false;
  for (const ep of eps) {
    const c = await s.client([ep]);
    try {
      statuses.push({ endpoint: ep, status: await s.call(() => c.status(), 'passthrough') });
    } catch (e) {
      failed = true;
      s.err.line(`Failed to get the status of endpoint ${ep} (${e instanceof ClientError ? e.userText : String(e)})`);
    } finally {
      c.close();
    }
  }
  display(printer, format, 'endpointStatus', statuses);
  return failed ? ExitCode.Error : ExitCode.Success;
}

export async function memberListCommand(s: Session): Promise<number> {
  const { format, printer } = s.printer();
  const c = await s.client();
  try {
    display(printer, format, 'memberList', await s.call(() => c.memberList()));
  } finally {
    c.close();
  }
  return ExitCode.Success;
}
