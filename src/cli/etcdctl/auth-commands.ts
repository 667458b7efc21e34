// auth enable | disable, as etcdctl 3.4 runs them. `auth enable` creates the root role
// and grants it to root when the server says root lacks it, then tries again.

import { ClientError } from '../../client/client.js';
import { CtlError, ExitCode } from './errors.js';
import type { Session } from './session.js';

const ROOT_ROLE_NOT_EXIST = 'etcdserver: root user does not have root role';

export async function authEnableCommand(s: Session): Promise<number> {
  if (s.args.length !== 0) throw new CtlError('auth enable command does not accept any arguments', ExitCode.BadArgs);
  s.printer();
  const c = await s.client();
  try {
    for (;;) {
      try {
        await s.call(() => c.authEnable());
        break;
      } catch (e) {
        if (!(e instanceof ClientError) || e.message !== ROOT_ROLE_NOT_EXIST) throw e;
      }
      await s.call(() => c.roleAdd('root'));
      await s.call(() => c.userGrantRole('root', 'root'));
    }
  } finally {
    c.close();
  }
  s.out.line('Authentication Enabled');
  return ExitCode.Success;
}

export async function authDisableCommand(s: Session): Promise<number> {
  if (s.args.length !== 0) throw new CtlError('auth disable command does not accept any arguments', ExitCode.BadArgs);
  s.printer();
  const c = await s.client();
  try {
    await s.call(() => c.authDisable());
  } finally {
    c.close();
  }
  s.out.line('Authentication Disabled');
  return ExitCode.Success;
}
