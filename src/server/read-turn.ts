// Serializable reads are answered together, once the current I/O turn is over, instead of
// each one inside the HTTP/2 receive callback that delivered it. Answered there, a reply is
// built and queued while node is still parsing the rest of the socket read, interleaving
// request parsing with reply writing; answered after the turn (as linearizable reads are,
// after their shared read index), all the turn's replies go out in one run. On the range
// benchmark (50 clients) that made a serializable range cost about a quarter more CPU than a
// linearizable one, which skips nothing a serializable one does.
//
// A read waits at most one event-loop turn (setImmediate), and sees the state applied by
// then: still a serializable read, as etcd serves it from whatever it has applied.

export class ReadTurn {
  private turn: Promise<void> | undefined;

  /** Resolves after the I/O events of this loop turn have been handled; one promise per turn. */
  next(): Promise<void> {
    return (this.turn ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.turn = undefined;
        resolve();
      });
    }));
  }
}
