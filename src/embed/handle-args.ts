// The first thing `etcd` does: turn argv and the environment into a configuration, or
// write exactly what etcd 3.5 writes (version block, help, Go flag errors with the usage,
// zap JSON "failed to verify flags" lines) and say which exit code to use.
//
//   const r = handleServerArgs(process.argv.slice(2), process.env, { argv0: process.argv[1] });
//   if ('exitCode' in r) process.exit(r.exitCode);
//   const { config, logger } = r;   // start the member with these

import { byteStringBytes } from '../pkg/byte-string.js';
import { parseServerArgs, type ServerConfig } from './config.js';
import { createDefaultLogger, createLogger, type Logger } from './logger.js';

export interface ArgsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** For tests: build loggers on these instead of the configured outputs. */
  makeLogger?: (level: string, outputs: readonly string[]) => Logger;
}

// Byte strings out as their bytes: `flag provided but not defined: -\xff` names the very byte given.
const processIo: ArgsIo = {
  stdout: (t) => process.stdout.write(byteStringBytes(t)),
  stderr: (t) => process.stderr.write(byteStringBytes(t)),
};

export function handleServerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  opts: { argv0?: string; io?: ArgsIo } = {},
): { config: ServerConfig; logger: Logger } | { exitCode: number } {
  const io = opts.io ?? processIo;
  const make = io.makeLogger ?? ((level, outputs) => (level === 'info' && outputs.length === 1 && outputs[0] === 'stderr' ? createDefaultLogger() : createLogger(level, outputs)));
  const outcome = parseServerArgs(argv, env, opts.argv0 === undefined ? {} : { argv0: opts.argv0 });
  switch (outcome.kind) {
    case 'version':
      io.stdout(outcome.stdout);
      return { exitCode: 0 };
    case 'help':
      io.stderr(outcome.stderr);
      io.stdout(outcome.stdout);
      return { exitCode: 0 };
    case 'error': {
      if (outcome.stderr !== '') io.stderr(outcome.stderr);
      // Lines before the configured logger exists go through etcd's default logger.
      const lg = make('info', ['stderr']);
      for (const r of outcome.logs) lg.write(r);
      return { exitCode: outcome.exitCode };
    }
    case 'config': {
      const logger = make(outcome.config.logLevel, outcome.config.logOutputs);
      for (const r of outcome.logs) logger.write(r);
      return { config: outcome.config, logger };
    }
  }
}
