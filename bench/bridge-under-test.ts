// The product as benchmarked: `cdr-bridge run` as a real process with default settings (unless
// a phase overrides one), started until it leads, with its memory watched from /proc. It runs
// what ./bin/cdr-bridge execs — node dist/src/cli/main.js — directly, so node flags such as
// --cpu-prof can be given (Node 20 refuses them in NODE_OPTIONS).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from '../src/cli/node-flags';
import { ROOT } from '../test/support/bridge-process';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The bridge process: its stderr (JSON log lines) kept, a line awaited, a clean stop. */
class BridgeChild {
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private exitedFlag = false;

  constructor(env: Record<string, string>, nodeArgs: readonly string[], root: string, client: KafkaClientName) {
    const [command, args] =
      client === 'reliable-mover'
        ? [MOVER_PYTHON, [path.join(root, 'bench/reliable-mover.py')]]
        : [process.execPath, [...nodeArgs, path.join(root, 'dist/src/cli/main.js'), 'run']];
    this.child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(this.child);
    this.child.stderr!.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      if (this.stderr.length > 1e6) this.stderr = this.stderr.slice(-100_000);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitedFlag = true;
        live.delete(this.child);
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exitedFlag;
  }

  async waitForLog(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stderr.includes(text)) {
      if (!this.running) throw new Error(`bridge exited before logging "${text}"; stderr:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for the bridge to log "${text}"`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** product: `cdr-bridge run`; reliable-mover: bench/reliable-mover.py, the yardstick (Python on librdkafka, raw JSON). */
export type KafkaClientName = 'product' | 'reliable-mover';

/** Debian's Python, where scripts/bench installs python3-redis and python3-confluent-kafka. */
const MOVER_PYTHON = '/usr/bin/python3';
/** What each process under test logs once it is about to take. */
const READY_LINE: Record<KafkaClientName, string> = { product: 'acquired the lease', 'reliable-mover': 'mover ready' };

export interface StartOptions {
  /** Node flags (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /** The checkout whose build runs (another one compares two builds on one stack). */
  root?: string;
  client?: KafkaClientName;
}

export class BridgeUnderTest {
  private peakKiB = 0;
  private lastRssKiB = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(readonly process: BridgeChild) {
    // VmHWM is the kernel's own peak of the resident set, so a spike between two samples
    // still counts; VmRSS (read by the drain as it goes) shows whether memory follows the backlog.
    this.timer = setInterval(() => this.sample(), 100);
  }

  /** Starts the bridge (or the mover) and resolves once it holds the lease (so it is about to take). */
  static async start(env: Record<string, string>, o: StartOptions = {}): Promise<BridgeUnderTest> {
    const client = o.client ?? 'product';
    const p = new BridgeChild({ HTTP_PORT: '0', LOG_LEVEL: 'info', ...env }, [...NODE_FLAGS, ...(o.nodeArgs ?? [])], o.root ?? ROOT, client);
    const b = new BridgeUnderTest(p);
    try {
      await p.waitForLog(READY_LINE[client], 120_000);
    } catch (err) {
      await b.stop().catch(() => undefined);
      throw err;
    }
    return b;
  }

  get peakRssMiB(): number {
    return round1(this.peakKiB / 1024);
  }

  /** The resident set at the last sample (every 100 ms). */
  get rssMiB(): number {
    return round1(this.lastRssKiB / 1024);
  }

  /** SIGTERM (the bridge finishes its batch and exits cleanly, writing a CPU profile if asked). */
  async stop(): Promise<{ code: number | null }> {
    this.sample();
    clearInterval(this.timer);
    const code = await this.process.stop();
    if (code !== 0) throw new Error(`bridge exited ${code}; stderr:\n${this.process.stderr.slice(-3000)}`);
    return { code };
  }

  private sample(): void {
    if (!this.process.running) return;
    let status: string;
    try {
      status = readFileSync(`/proc/${this.process.pid}/status`, 'utf8');
    } catch {
      return; // exited between the check and the read
    }
    const hwm = kib(status, 'VmHWM');
    const rss = kib(status, 'VmRSS');
    if (hwm > this.peakKiB) this.peakKiB = hwm;
    this.lastRssKiB = rss;
  }
}

function kib(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
