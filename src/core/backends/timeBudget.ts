// A generation's time budget (the request's t_max_predict_ms), shared by the backends: it starts
// at the first generated token, so a long prompt never leaves an answer empty, and when it runs
// out the answer ends with what was generated so far (finish_reason "length").

export class TimeBudget {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private deadline = Infinity;

  /** Aborted when the budget runs out; never when there is no budget. */
  readonly signal = this.controller.signal;

  constructor(private readonly ms: number | undefined) {}

  /** Called for every generated token; the first one starts the clock. */
  tokenGenerated(): void {
    if (this.ms === undefined || this.deadline !== Infinity) return;
    this.deadline = Date.now() + this.ms;
    this.timer = setTimeout(() => this.controller.abort(new Error("time budget spent")), this.ms).unref();
  }

  get spent(): boolean {
    return this.signal.aborted || Date.now() >= this.deadline;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
