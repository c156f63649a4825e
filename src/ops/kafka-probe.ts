// A cheap periodic "does the broker answer?" so readiness notices a Kafka outage while the
// bridge is idle or standing by: with nothing to publish, the bridge itself would never see it.
// The check is a callback (run.ts gives a metadata request), so ops knows nothing of the Kafka client.

export interface KafkaProbeSettings {
  everyMs?: number;
  /** A check that has not answered after this long counts as down (it may still report up later). */
  timeoutMs?: number;
}

export class KafkaProbe {
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | undefined;
  private stopped = false;
  private readonly everyMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly check: () => Promise<void>,
    private readonly report: (up: boolean) => void,
    settings: KafkaProbeSettings = {},
  ) {
    this.everyMs = settings.everyMs ?? 5000;
    this.timeoutMs = settings.timeoutMs ?? 4000;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.probeOnce(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check; skipped while the previous one is still waiting (an outage must not pile them up). */
  probeOnce(): void {
    if (this.pending || this.stopped) return;
    let settled = false;
    const timeout = setTimeout(() => {
      if (!settled && !this.stopped) this.report(false);
    }, this.timeoutMs);
    this.pending = Promise.resolve()
      .then(this.check)
      .then(
        () => true,
        () => false,
      )
      .then((up) => {
        settled = true;
        clearTimeout(timeout);
        this.pending = undefined;
        if (!this.stopped) this.report(up);
      });
  }
}
