/** Cancels an engine run once it exists, or at once if the request came first. */
export class CancelSwitch {
  private fired = false;
  private cancelRun: (() => void) | null = null;

  fire(): void {
    this.fired = true;
    this.cancelRun?.();
  }

  attach(cancelRun: () => void): void {
    this.cancelRun = cancelRun;
    if (this.fired) cancelRun();
  }
}
