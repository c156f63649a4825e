// One run of a network fault test: a leader on path a and a hot standby on path b (each reaching
// Redis and Kafka only through its own proxies), a dialler pushing CDRs at a steady rate through
// the fault, the time the pipeline took to catch up, and the verdict of an independent
// read_committed reader (the test's own, on the brokers' direct listener).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach } from 'node:test';
import { BridgeProcess } from './bridge-process';
import { settledDelivery, verifyTopic, type DeliveryReport } from './delivery-check';
import { cdrsOnKeys, SteadyDialler } from './dialler';
import { FaultProxy } from './fault-proxy';
import { scenarioFactory, type Scenario } from './scenario';
import { waitFor } from './services';

/** CDRs whose keys repeat over this many values, so per-key order is checked on every key. */
const KEYS = 16;

export class NetworkRun {
  readonly bridges: BridgeProcess[] = [];
  readonly diallers: SteadyDialler[] = [];

  constructor(
    readonly s: Scenario,
    readonly proxy: FaultProxy,
  ) {}

  /** A bridge reaching Redis and Kafka through path `path` only. */
  bridge(path: 'a' | 'b', env: Record<string, string> = {}): BridgeProcess {
    const b = BridgeProcess.run(this.s.env({ ...env, ...this.proxy.path(path).env }));
    this.bridges.push(b);
    return b;
  }

  /** The leader on path a (lease taken, topics made), then a standby on path b once it stands by. */
  async leaderAndStandby(env: Record<string, string> = {}, leaderEnv: Record<string, string> = {}): Promise<{ leader: BridgeProcess; standby: BridgeProcess }> {
    const leader = this.bridge('a', { ...env, ...leaderEnv });
    await leader.waitForLog('acquired the lease');
    await leader.waitForLog('http endpoints listening');
    const standby = this.bridge('b', env);
    await standby.waitForLog('lease held by another bridge');
    return { leader, standby };
  }

  dialler(count: number, rate: number, seed: number): SteadyDialler {
    const d = new SteadyDialler({ redisUrl: this.s.env().REDIS_URL!, key: this.s.source, count, rate, seed, payloads: cdrsOnKeys(seed, KEYS) });
    this.diallers.push(d);
    return d;
  }

  /**
   * Waits until the topic holds, committed, every CDR the dialler had pushed by `since` (the
   * fault's start, or its end when nothing can move before), prints and returns the time that
   * took. Polled about twice a second: the figure is good to ~0.5 s.
   */
  async recovered(d: SteadyDialler, since: number, what: string, timeoutMs = 120_000): Promise<number> {
    const ids = d.ids.slice();
    const deadline = since + timeoutMs;
    for (;;) {
      const report = await verifyTopic(this.s.env().KAFKA_BROKERS!, this.s.topic, ids).catch(() => undefined);
      if (report && report.lost === 0) {
        const ms = Date.now() - since;
        console.log(`# ${what}: recovered in ${ms} ms (${ids.length} CDRs pushed by then, all committed)`);
        return ms;
      }
      if (Date.now() > deadline) throw new Error(`${what}: the topic did not catch up with the ${ids.length} CDRs pushed by then within ${timeoutMs} ms (${report?.line ?? 'topic unreadable'})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** All pushed, the lists drained, the topic read until its count is steady: the verdict. */
  async verdict(d: SteadyDialler): Promise<DeliveryReport> {
    await d.done;
    await this.s.drained(120_000);
    const report = await settledDelivery(this.s.env().KAFKA_BROKERS!, this.s.topic, d.ids, d.payloads);
    console.log(`# ${report.line}`);
    return report;
  }

  /** Stops the diallers and kills the bridges a test left running (after a failure too). */
  async end(): Promise<void> {
    await Promise.all(this.diallers.splice(0).map((d) => d.stop()));
    for (const b of this.bridges.splice(0)) {
      b.kill('SIGKILL');
      await b.exited;
    }
  }
}

/**
 * What every network test file sets up inside its describe: the stack's proxy, a scenario per
 * test, and after each test the run ended (its bridges and diallers stopped) and every toxic
 * removed. `open()` starts a test's run.
 */
export function networkTests(): { proxy: FaultProxy; scenario: () => Scenario; open: (s?: Scenario) => NetworkRun } {
  const proxy = FaultProxy.attached();
  const scenario = scenarioFactory();
  let run: NetworkRun | undefined;
  afterEach(async () => {
    await run?.end();
    run = undefined;
    await proxy.reset();
  });
  return { proxy, scenario, open: (s = scenario()) => (run = new NetworkRun(s, proxy)) };
}

export function assertExactlyOnce(report: DeliveryReport): void {
  assert.equal(report.lost, 0, `no CDR lost (${report.line})`);
  assert.equal(report.duplicated, 0, `no CDR duplicated (${report.line})`);
  assert.equal(report.outOfOrder, 0, `order per key kept (${report.line})`);
  assert.equal(report.delivered, report.pushed);
}

/** The log lines of a bridge at warn or above since index `from`, for assertion messages. */
export function warnings(b: BridgeProcess, from = 0): string {
  return b.logs.slice(from).filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal').map((l) => JSON.stringify(l)).join('\n');
}

/** Waits until a bridge armed with CDR_BRIDGE_FAILPOINT=`point` has reached it and stopped itself. */
export async function stoppedAt(b: BridgeProcess, point: string): Promise<void> {
  await b.waitForOutput(`failpoint ${point}`, 60_000);
  await waitFor(`the bridge to be stopped at ${point}`, async () => processState(b.pid) === 'T', 10_000, 10);
}

/** A process's state letter from /proc (T: stopped), or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
