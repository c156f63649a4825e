// A progress bar on stderr for long operations (simulate, replay): redrawn in place on a
// terminal, a line every 10% otherwise, so CI logs stay short.

export class Progress {
  private lastDrawn = -1;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled = true,
  ) {}

  update(done: number): void {
    if (!this.enabled || this.total <= 0) return;
    const pct = Math.floor((done / this.total) * 100);
    if (this.tty) {
      if (pct === this.lastDrawn && done !== this.total) return;
      const width = 30;
      const filled = Math.round((done / this.total) * width);
      process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${this.rate(done)}`);
      if (done >= this.total) process.stderr.write('\n');
    } else if (Math.floor(pct / 10) !== Math.floor(this.lastDrawn / 10) || (done >= this.total && this.lastDrawn !== 100)) {
      process.stderr.write(`${this.label}: ${done}/${this.total} (${pct}%) ${this.rate(done)}\n`);
    }
    this.lastDrawn = pct;
  }

  private rate(done: number): string {
    const s = (Date.now() - this.started) / 1000;
    return s > 0 ? `${Math.round(done / s)}/s` : '';
  }
}
