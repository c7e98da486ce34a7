// First come, first served. An order attempt takes its place in a drop's line when the node has read it, before
// anything that may wait (authenticating a token the node has not seen lately, loading the drop), and takes units
// only when every attempt that arrived before it has taken its units or left the line. Without this, a buyer
// whose token was cached overtook one who tapped earlier but whose token had to be looked up.

/** One attempt's place in a drop's line. */
export interface Place {
  /** Resolves when every earlier attempt has taken its units or left: undefined at once when that is already so. */
  turn(): Promise<void> | undefined;
  /** Done with the line: units taken (or the request sent to the shared counters, which take them in order), or refused before. Idempotent. */
  leave(): void;
}

/** A place as a class, not closures: one object per attempt on the hot path. */
class Waiting implements Place {
  left = false;
  wake: (() => void) | null = null;

  constructor(
    private readonly line: ArrivalOrder,
    private readonly dropId: string,
    private readonly queue: Waiting[],
  ) {}

  turn(): Promise<void> | undefined {
    return this.queue[0] === this ? undefined : new Promise<void>((resolve) => (this.wake = resolve));
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    this.line.advance(this.dropId, this.queue);
  }
}

/** Places in line per drop, in the order the node read the attempts. */
export class ArrivalOrder {
  private readonly lines = new Map<string, Waiting[]>();

  /** Joins the line of a drop (synchronously: the order of calls is the order of arrival). */
  join(dropId: string): Place {
    let line = this.lines.get(dropId);
    if (!line) this.lines.set(dropId, (line = []));
    const place = new Waiting(this, dropId, line);
    line.push(place);
    return place;
  }

  /** Drops every place that has left from the head of the line and wakes the new head. */
  advance(dropId: string, queue: Waiting[]): void {
    let gone = 0;
    while (gone < queue.length && queue[gone].left) gone++;
    if (gone === 0) return;
    queue.splice(0, gone);
    if (queue.length === 0) {
      if (this.lines.get(dropId) === queue) this.lines.delete(dropId);
      return;
    }
    const head = queue[0];
    const wake = head.wake;
    head.wake = null;
    wake?.();
  }
}
