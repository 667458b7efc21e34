// `etcd`: parse etcd's flags, start a member, stop cleanly on SIGTERM/SIGINT.

import { parseServerArgs, SERVER_FLAGS } from '../embed/config.js';
import { createLogger } from '../embed/logger.js';
import { startEtcd, StartError } from '../embed/start-etcd.js';
import { SERVER_VERSION } from '../server/etcd-server.js';

function usage(): string {
  const lines = ['Usage:', '', '  etcd [flags]', '    Start an etcd server.', '', '  etcd --version', '    Show the version of etcd.', '', '  etcd -h | --help', '    Show the help information about etcd.', ''];
  for (const f of SERVER_FLAGS) lines.push(`  --${f.name}${f.default !== '' && f.kind !== 'bool' ? ` '${f.default}'` : ''}`, `    ${f.usage}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<void> {
  const outcome = parseServerArgs(argv, process.env);
  if (outcome.kind === 'version') {
    process.stdout.write(`etcd Version: ${SERVER_VERSION}\nGit SHA: etcd-ts\nGo Version: node${process.versions.node}\nGo OS/Arch: ${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}\n`);
    return;
  }
  if (outcome.kind === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (outcome.kind === 'error') {
    process.stderr.write(`${outcome.message}\n`);
    if (outcome.exitCode === 2) process.stderr.write(usage());
    process.exit(outcome.exitCode);
  }
  const cfg = outcome.config;
  const log = createLogger(cfg.logLevel, cfg.logOutputs);
  for (const w of cfg.warnings) log.warn(w);
  log.child('etcdmain/etcd.ts').info('Running: ', { args: [process.argv[1], ...argv] });
  try {
    const member = await startEtcd(cfg, log.child('etcdserver/server.ts'));
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.child('osutil/interrupt.ts').info('received signal; shutting down', { signal });
      void member.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (err) {
    if (err instanceof StartError) {
      log.error(err.message);
      process.exit(err.exitCode);
    }
    log.error('failed to start etcd', { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
}
