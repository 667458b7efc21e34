// The environment as bytes, for the variables etcdctl reads values from (ETCDCTL_WATCH_KEY
// is a key like any other, and Go takes it as bytes). Linux shows the environment the
// process started with in /proc/self/environ, NUL-separated NAME=VALUE entries.
//
// A variable's raw value is used only when it decodes to exactly what process.env holds
// for that name; any other variable, and everything without /proc, is process.env's.

import { readFileSync } from 'node:fs';
import { byteStringOf } from '../../pkg/byte-string.js';
import { cmdlineWords } from '../../pkg/raw-argv.js';

/** `env` with each value that has a matching raw entry in `environ` replaced by its byte string. */
export function envFromEnviron(environ: Buffer, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const entry of cmdlineWords(environ)) {
    const eq = entry.indexOf(0x3d);
    if (eq <= 0) continue;
    const name = entry.toString('utf8', 0, eq);
    const value = entry.subarray(eq + 1);
    if (env[name] !== undefined && env[name] === value.toString('utf8')) out[name] = byteStringOf(value);
  }
  return out;
}

/** This process's environment with raw values where they can be had. */
export function processEnv(env: NodeJS.ProcessEnv = process.env, readEnviron: () => Buffer = () => readFileSync('/proc/self/environ')): NodeJS.ProcessEnv {
  try {
    return envFromEnviron(readEnviron(), env);
  } catch {
    return env;
  }
}
