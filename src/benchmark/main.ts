// bin/benchmark entry: parse etcd's benchmark flags, run, print etcd's report format.

import { FlagError, parseArgs, usage } from './flags.js';
import { formatReport } from './report.js';
import { runBenchmark } from './runner.js';

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`Error: ${e.message}\n${usage()}`);
    process.exit(1);
  }
  if (parsed.flags.help === true || !parsed.command) {
    process.stdout.write(usage(parsed.command));
    process.exit(parsed.command || parsed.flags.help === true ? 0 : 1);
  }
  if (parsed.command === 'range' && parsed.args.length === 0) {
    process.stderr.write('Error: range command needs KEY argument\n');
    process.exit(1);
  }
  if (parsed.command === 'range' || parsed.command === 'txn-mixed') {
    const c = parsed.flags.consistency;
    if (c !== 'l' && c !== 's') {
      process.stderr.write(`Error: unknown consistency flag "${String(c)}"\n`);
      process.exit(1);
    }
  }
  try {
    const result = await runBenchmark(parsed);
    const precise = parsed.flags.precise === true;
    for (const r of result.reports) {
      if (r.name) process.stdout.write(`\n${r.name}:`);
      process.stdout.write(formatReport(r.stats, precise));
    }
    for (const n of result.notes) process.stdout.write(`\n${n}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
