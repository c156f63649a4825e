// Test-only failpoints (CDR_BRIDGE_FAILPOINT): make a rare moment certain, so a test can freeze
// the leader exactly there — e.g. after its lease check and before its send, the window a zombie
// leader needs. Off unless set; never set in production. Each fires once per process.

import { writeSync } from 'node:fs';
import type { Logger } from '../log';

export type Failpoint = 'stop-before-send' | 'stop-before-commit' | 'crash-after-commit';

export class Failpoints {
  private fired = false;

  constructor(
    private readonly armed: Failpoint | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * At `point`, if armed for it: log that it is reached, then stop this process (SIGSTOP) — or,
   * for a crash-* point, kill it (SIGKILL, as `kill -9` would).
   */
  reach(point: Failpoint): void {
    if (this.armed !== point || this.fired) return;
    this.fired = true;
    const crash = point.startsWith('crash-');
    this.log.warn({ failpoint: point }, `failpoint ${point}: ${crash ? 'killing this process (SIGKILL)' : 'stopping this process (SIGSTOP) until it is continued'}`);
    // The logger writes synchronously; make sure the line is out before the process freezes.
    writeSync(2, '');
    process.kill(process.pid, crash ? 'SIGKILL' : 'SIGSTOP');
  }
}
