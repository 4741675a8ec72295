/**
 * Counts work in flight and lets background work wait until there is none (p-queue's onIdle
 * does this only for work run through its own queue; the work counted here is not).
 */
export class WorkInFlight {
  private count = 0;
  private readonly waiters: Array<() => void> = [];

  begin(): void {
    this.count += 1;
  }

  end(): void {
    this.count -= 1;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once nothing is in flight — at once when nothing is; true when it had to wait. */
  async whenIdle(): Promise<boolean> {
    if (this.count === 0) return false;
    await new Promise<void>((wake) => this.waiters.push(wake));
    return true;
  }
}
