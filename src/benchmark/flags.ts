// Command-line parsing for bin/benchmark: etcd's tools/benchmark flag names and defaults,
// pflag-style forms (--flag value, --flag=value, bare booleans), flags anywhere on the line.

export type Command = 'put' | 'range' | 'txn-put' | 'txn-mixed' | 'watch' | 'watch-latency' | 'lease-keepalive';
export const COMMANDS: readonly Command[] = ['put', 'range', 'txn-put', 'txn-mixed', 'watch', 'watch-latency', 'lease-keepalive'];

type Kind = 'string' | 'int' | 'float' | 'bool' | 'duration';
interface Spec {
  kind: Kind;
  def: string | number | boolean;
  help: string;
}

const GLOBAL: Record<string, Spec> = {
  endpoints: { kind: 'string', def: '127.0.0.1:2379', help: 'gRPC endpoints (comma separated)' },
  conns: { kind: 'int', def: 1, help: 'Total number of gRPC connections' },
  clients: { kind: 'int', def: 1, help: 'Total number of gRPC clients' },
  'target-leader': { kind: 'bool', def: false, help: 'Only connect to the leader' },
  precise: { kind: 'bool', def: false, help: 'Use full floating point precision' },
  'dial-timeout': { kind: 'duration', def: 0, help: 'dial timeout for client connections (e.g. 5s)' },
  workers: { kind: 'int', def: 0, help: 'worker threads sharing the connections (0 = min(conns, CPUs))' },
  help: { kind: 'bool', def: false, help: 'help for benchmark' },
};

const PER_COMMAND: Record<Command, Record<string, Spec>> = {
  put: {
    total: { kind: 'int', def: 10000, help: 'Total number of put requests' },
    'key-size': { kind: 'int', def: 8, help: 'Key size of put request' },
    'val-size': { kind: 'int', def: 8, help: 'Value size of put request' },
    'key-space-size': { kind: 'int', def: 1, help: 'Maximum possible keys' },
    'sequential-keys': { kind: 'bool', def: false, help: 'Use sequential keys' },
    rate: { kind: 'int', def: 0, help: 'Maximum puts per second (0 is no limit)' },
  },
  range: {
    total: { kind: 'int', def: 10000, help: 'Total number of range requests' },
    consistency: { kind: 'string', def: 'l', help: 'Linearizable(l) or Serializable(s)' },
    rate: { kind: 'int', def: 0, help: 'Maximum range requests per second (0 is no limit)' },
    limit: { kind: 'int', def: 0, help: 'Maximum number of results per request (0 is no limit)' },
    'count-only': { kind: 'bool', def: false, help: 'Only returns the count of keys' },
  },
  'txn-put': {
    total: { kind: 'int', def: 10000, help: 'Total number of txn requests' },
    'key-size': { kind: 'int', def: 8, help: 'Key size of txn put' },
    'val-size': { kind: 'int', def: 8, help: 'Value size of txn put' },
    'txn-ops': { kind: 'int', def: 1, help: 'Number of puts per txn' },
    'key-space-size': { kind: 'int', def: 1, help: 'Maximum possible keys' },
    rate: { kind: 'int', def: 0, help: 'Maximum txns per second (0 is no limit)' },
  },
  'txn-mixed': {
    total: { kind: 'int', def: 10000, help: 'Total number of txn requests' },
    'key-size': { kind: 'int', def: 8, help: 'Key size of txn' },
    'val-size': { kind: 'int', def: 8, help: 'Value size of txn put' },
    'key-space-size': { kind: 'int', def: 1, help: 'Maximum possible keys' },
    'rw-ratio': { kind: 'float', def: 1, help: 'Read/write ops ratio' },
    consistency: { kind: 'string', def: 'l', help: 'Linearizable(l) or Serializable(s)' },
    'end-key': { kind: 'string', def: '', help: 'Read operation range end key. By default, a single key is read' },
    limit: { kind: 'int', def: 1000, help: 'Read operation range result limit' },
    rate: { kind: 'int', def: 0, help: 'Maximum txns per second (0 is no limit)' },
  },
  watch: {
    streams: { kind: 'int', def: 10, help: 'Total watch streams' },
    'watch-per-stream': { kind: 'int', def: 100, help: 'Total watchers per stream' },
    'put-total': { kind: 'int', def: 1000, help: 'Number of put requests' },
    'put-rate': { kind: 'int', def: 0, help: 'Number of keys to put per second (0 is no limit)' },
    'key-size': { kind: 'int', def: 32, help: 'Key size of watch request' },
    'val-size': { kind: 'int', def: 32, help: 'Value size of put request' },
    'key-space-size': { kind: 'int', def: 1, help: 'Maximum possible keys' },
    'sequential-keys': { kind: 'bool', def: false, help: 'Use sequential keys' },
  },
  'watch-latency': {
    streams: { kind: 'int', def: 10, help: 'Total watch streams' },
    'watchers-per-stream': { kind: 'int', def: 10, help: 'Total watchers per stream' },
    'put-total': { kind: 'int', def: 1000, help: 'Total number of put requests' },
    'put-rate': { kind: 'int', def: 100, help: 'Number of keys to put per second' },
    'key-size': { kind: 'int', def: 32, help: 'Key size of watch response' },
    'val-size': { kind: 'int', def: 32, help: 'Value size of watch response' },
  },
  'lease-keepalive': {
    total: { kind: 'int', def: 10000, help: 'Total number of lease keepalive requests' },
  },
};

export interface Parsed {
  command: Command | undefined;
  args: string[];
  flags: Record<string, string | number | boolean>;
}

export class FlagError extends Error {}

/** Go duration subset: 500ms, 5s, 1m30s, plain 0. Returns milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) throw new FlagError(`time: invalid duration "${s}"`);
  return total;
}

function convert(name: string, spec: Spec, raw: string): string | number | boolean {
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'bool':
      if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(raw)) return true;
      if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(raw)) return false;
      throw new FlagError(`invalid argument "${raw}" for "--${name}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
    case 'int':
      if (!/^[+-]?\d+$/.test(raw)) {
        throw new FlagError(`invalid argument "${raw}" for "--${name}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      }
      return Number(raw);
    case 'float': {
      const v = Number(raw);
      if (raw.trim() === '' || Number.isNaN(v)) {
        throw new FlagError(`invalid argument "${raw}" for "--${name}" flag: strconv.ParseFloat: parsing "${raw}": invalid syntax`);
      }
      return v;
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        throw new FlagError(`invalid argument "${raw}" for "--${name}" flag: ${(e as Error).message}`);
      }
  }
}

export function parseArgs(argv: readonly string[]): Parsed {
  const command = argv.find((a) => (COMMANDS as readonly string[]).includes(a)) as Command | undefined;
  const specs: Record<string, Spec> = { ...GLOBAL, ...(command ? PER_COMMAND[command] : {}) };
  const flags: Record<string, string | number | boolean> = {};
  for (const [k, s] of Object.entries(specs)) flags[k] = s.def;
  const args: string[] = [];
  let seenCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a === '-h') {
        flags.help = true;
        continue;
      }
      if (a.startsWith('-') && a !== '-') throw new FlagError(`unknown shorthand flag: '${a[1]}' in ${a}`);
      if (!seenCommand && a === command) seenCommand = true;
      else args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = specs[name];
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (spec.kind === 'bool') raw = 'true';
    else {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
      raw = argv[++i]!;
    }
    flags[name] = convert(name, spec, raw);
  }
  return { command, args, flags };
}

export function usage(command?: Command): string {
  const fmtSpecs = (specs: Record<string, Spec>) =>
    Object.entries(specs)
      .map(([k, s]) => `      --${k.padEnd(22)}${s.help}${s.kind === 'bool' ? '' : ` (default ${JSON.stringify(s.def)})`}`)
      .join('\n');
  const head = command
    ? `Usage:\n  benchmark ${command} [flags]\n\nFlags:\n${fmtSpecs(PER_COMMAND[command])}\n`
    : `A low-level benchmark tool for etcd3 (etcd-ts).\n\nUsage:\n  benchmark [command]\n\nAvailable Commands:\n${COMMANDS.map((c) => `  ${c}`).join('\n')}\n`;
  return `${head}\nGlobal Flags:\n${fmtSpecs(GLOBAL)}\n`;
}
