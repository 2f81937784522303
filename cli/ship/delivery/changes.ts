/**
 * Wakes whoever waits for delivery's state to change: a batch queued, sent, spooled or removed, or
 * delivery stopping. A waiter also wakes after its own time, so nothing depends on a wake-up coming.
 */
export class Changes {
  private waiters: (() => void)[] = [];

  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves on the next change, or after ms. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
