/**
 * Collects the outcomes of a chunk's children and writes them together: at once for an
 * urgent one (a cancellation, which its requester is waiting for), else within `windowMs`
 * of the first waiting one, and whatever is left on `drain`. Writes run one after another.
 */
export class OutcomeWriter<T> {
  private waiting: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private crashed: string | null = null;
  /** Runs this writer wrote (ended or completed). */
  readonly wrote = new Set<string>();

  constructor(
    private readonly write: (outcomes: readonly T[]) => Promise<{ crashed: string | null; wrote: string[] }>,
    private readonly windowMs: number,
  ) {}

  add(outcome: T, urgent: boolean): void {
    this.waiting.push(outcome);
    if (urgent) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  /** Writes what is waiting and resolves once every write is done. @throws the first write's failure. */
  async drain(): Promise<{ crashed: string | null }> {
    this.flush();
    await this.chain;
    if (this.failure) throw this.failure;
    return { crashed: this.crashed };
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        const { crashed, wrote } = await this.write(batch);
        this.crashed ??= crashed;
        for (const id of wrote) this.wrote.add(id);
      } catch (error) {
        this.failure = error;
      }
    });
  }
}
