// `etcdctl version`: prints the versions it was built as; it talks to no server, so it
// lives apart from the commands that need the client.

import { ExitCode } from './errors.js';
import type { Session } from './session.js';
import { CTL_API_VERSION, CTL_VERSION } from './usage.js';

export async function versionCommand(s: Session): Promise<number> {
  s.out.line(`etcdctl version: ${CTL_VERSION}`);
  s.out.line(`API version: ${CTL_API_VERSION}`);
  return ExitCode.Success;
}
