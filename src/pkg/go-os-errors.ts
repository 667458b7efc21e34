// The texts Go's os and os/exec packages give for a failed file, socket or process call,
// which etcd and etcdctl print as they are: "<op> <path>: <reason>" (*os.PathError), with
// the errno's own wording as the reason, and exec's "executable file not found in $PATH".

import { goQuoteText } from './go-quote.js';

/** Go's wording of the errnos etcd-ts reports (syscall.Errno's text), by Node's error code. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  ECONNREFUSED: 'connection refused',
  ENOTSOCK: 'socket operation on non-socket',
  EPROTOTYPE: 'protocol wrong type for socket',
};

/** Go's text for the errno named `code` (e.g. "ENOENT"), or undefined for one not listed above. */
export function goErrnoText(code: string | undefined): string | undefined {
  return ERRNO_TEXT[code ?? ''];
}

/** "<op> <path>: <reason>" for `err`'s errno, or undefined for an errno not listed above. */
export function goPathError(op: string, path: string, err: unknown): string | undefined {
  const text = goErrnoText((err as NodeJS.ErrnoException).code);
  return text === undefined ? undefined : `${op} ${path}: ${text}`;
}

/**
 * os.ReadFile's error: opening fails for a missing or unreadable file, reading for a
 * directory (Go opens a directory without complaint).
 */
export function goReadFileError(path: string, err: unknown): string | undefined {
  return goPathError((err as NodeJS.ErrnoException).code === 'EISDIR' ? 'read' : 'open', path, err);
}

/** exec.Command(file).Run()'s error for a command that could not be started; `err.message` for an errno not listed. */
export function goExecError(file: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT' && !file.includes('/')) return `exec: ${goQuoteText(file)}: executable file not found in $PATH`;
  return goPathError('fork/exec', file, err) ?? err.message;
}
