#!/usr/bin/env node
// Long fault-injection runs against a spawned three-member cluster (see
// test/faults/fault-runner.ts), printing each run's faults and verdict and, at the end,
// how many runs and how many anomalies. Build first: npx tsc -p .
//
//   node scripts/fault-run.mjs [--binary real|ours|/path/to/etcd] [--runs N] [--seed S]
//                              [--duration-ms D] [--clients C] [--keys K] [--watchers W] [--keep-dirs]
//
// Exit status 0 when every run passed, 1 otherwise. A failing run's temp dir (member
// logs and data) is kept with --keep-dirs and printed.
import { parseArgs } from 'node:util';
import { OUR_ETCD_BINARY, REAL_ETCD_BINARY } from '../dist/test/faults/cluster.js';
import { runFaults } from '../dist/test/faults/fault-runner.js';

const { values } = parseArgs({
  options: {
    binary: { type: 'string', default: 'real' },
    runs: { type: 'string', default: '10' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    'duration-ms': { type: 'string', default: '60000' },
    clients: { type: 'string', default: '4' },
    keys: { type: 'string', default: '3' },
    watchers: { type: 'string', default: '3' },
    'keep-dirs': { type: 'boolean', default: false },
  },
});

const binary = values.binary === 'real' ? REAL_ETCD_BINARY
  : values.binary === 'ours' ? OUR_ETCD_BINARY
  : { label: values.binary, command: values.binary, prefixArgs: [] };

// Members are killed in runFaults' finally; a signal to this script must reach it, so
// SIGINT/SIGTERM only stop the loop after the current run.
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopping = true; console.log(`${sig}: stopping after this run`); });

const runs = Number(values.runs);
const firstSeed = Number(values.seed);
let anomalies = 0;
let failedRuns = 0;
let done = 0;
for (let i = 0; i < runs && !stopping; i++) {
  const seed = firstSeed + i;
  const t0 = Date.now();
  let report;
  try {
    report = await runFaults({
      binary, seed, durationMs: Number(values['duration-ms']), clients: Number(values.clients), keys: Number(values.keys), watchers: Number(values.watchers),
      keepDir: values['keep-dirs'], log: (l) => console.log(`  [seed ${seed}] ${l}`),
    });
  } catch (e) {
    console.log(`run ${i + 1} seed ${seed}: harness error: ${e.stack ?? e}`);
    failedRuns++;
    anomalies++;
    done++;
    continue;
  }
  done++;
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`run ${i + 1} seed ${seed} (${binary.label}): ${report.faults.length} faults, ${report.ops.ok} ops ok, ${report.ops.unknown} unknown, ` +
    `${report.acknowledgedUnique} write-once keys acknowledged, history ${report.check.outcome}, ` +
    `${report.watch.events} watch events checked (${report.watch.watchers} watchers), ${report.watch.anomalies.length} watch anomalies, ${report.anomalies.length} anomalies, ${secs} s`);
  for (const a of report.anomalies) console.log(`  ANOMALY: ${a.replaceAll('\n', '\n    ')}`);
  if (report.anomalies.length > 0) {
    failedRuns++;
    if (values['keep-dirs']) console.log(`  logs and data kept in ${report.dir}`);
  }
  anomalies += report.anomalies.length;
}
console.log(`${done} runs, ${failedRuns} failed, ${anomalies} anomalies`);
process.exit(failedRuns === 0 ? 0 : 1);
