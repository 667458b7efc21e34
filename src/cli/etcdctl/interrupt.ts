// SIGINT/SIGTERM as etcdctl's long-running commands (lock, elect) treat them: caught, not
// fatal, turned into a cancellation the command answers by cleaning up and exiting.

import { ImmediateOutput } from './output.js';
import { newPrinter } from './printers.js';
import type { Printer } from './printer.js';
import type { Session } from './session.js';

export class Interrupt {
  private readonly controller = new AbortController();
  private readonly onSignal = () => this.controller.abort();
  /** Resolves at the first SIGINT or SIGTERM. */
  readonly received: Promise<void>;

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    this.received = new Promise((resolve) => this.controller.signal.addEventListener('abort', () => resolve()));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/** The -w printer writing at once: these commands print, then hold until stopped. */
export function immediatePrinter(s: Session): Printer {
  const format = s.printer().format;
  // What was printed so far (ETCDCTL_* warnings) goes before anything written at once.
  s.err.flushPrinted();
  return newPrinter(format, { out: new ImmediateOutput(), err: s.err, hex: s.flags.bool('hex') }).printer;
}
