// Runs handleServerArgs in-process and captures what etcd-ts would write.

import { handleServerArgs } from '../../src/embed/handle-args.js';
import { createLogger } from '../../src/embed/logger.js';

export interface Captured {
  stdout: string;
  stderr: string;
  /** The JSON log lines, parsed. */
  logs: Record<string, unknown>[];
  exitCode: number | undefined;
}

export function runArgs(argv: string[], env: NodeJS.ProcessEnv = {}): Captured {
  const out: Captured = { stdout: '', stderr: '', logs: [], exitCode: undefined };
  const stream = { write: (s: string) => void out.logs.push(JSON.parse(s) as Record<string, unknown>) };
  const r = handleServerArgs(argv, env, {
    io: {
      stdout: (t) => (out.stdout += t),
      stderr: (t) => (out.stderr += t),
      makeLogger: (level) =>
        createLogger(level, ['stderr'], {
          stream,
          exit: () => {
            throw new Error('fatal');
          },
        }),
    },
  });
  if ('exitCode' in r) out.exitCode = r.exitCode;
  return out;
}
