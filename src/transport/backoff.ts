// Reconnect delays for a peer stream: doubling from `initialMs` up to `maxMs`, reset once a
// connection has worked. Pure (no timers) so the policy is testable without a clock.

export class Backoff {
  private next: number;
  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 5000,
  ) {
    this.next = initialMs;
  }

  /** The delay before the next attempt; each call doubles the one after it. */
  nextDelay(): number {
    const d = this.next;
    this.next = Math.min(this.next * 2, this.maxMs);
    return d;
  }

  /** Called when a connection succeeded: the next failure starts from the initial delay. */
  reset(): void {
    this.next = this.initialMs;
  }
}
