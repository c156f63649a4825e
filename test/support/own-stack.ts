// A private stack (Redis + Kafka, by scripts/stack) for tests that stop, kill and restart
// services on purpose: the shared .stack must never be broken. Each lives in its own
// temporary STACK_DIR; the test takes it down, and a test process that dies takes it down too.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT } from './bridge-process';
import { runToEnd } from './child';

export type Service = 'redis' | 'kafka' | 'registry';

const STACK = path.join(ROOT, 'scripts/stack');
const live = new Set<OwnStack>();
process.on('exit', () => {
  // Last resort (a test that threw before its `after`): only synchronous work runs here.
  for (const stack of live) stack.downNow();
});

export interface StackResult {
  code: number | null;
  output: string;
}

export class OwnStack {
  private readonly clients: Redis[] = [];

  private constructor(
    /** The STACK_DIR; its parent is a temporary directory of its own (scripts/stack locks it). */
    readonly dir: string,
    /** The stack's env file as key/value pairs (REDIS_URL, KAFKA_BROKERS, ...). */
    readonly env: Readonly<Record<string, string>>,
  ) {}

  /** Starts a fresh stack on free loopback ports; resolves once every service accepts connections. */
  static async up(opts: { registry?: boolean } = {}): Promise<OwnStack> {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-own-stack-')), 's');
    const pending = new OwnStack(dir, {});
    live.add(pending);
    try {
      await pending.script(['up', ...(opts.registry ? ['--registry'] : [])], 300_000);
    } catch (err) {
      pending.downNow();
      throw err;
    }
    const stack = new OwnStack(dir, parseEnvFile(readFileSync(path.join(dir, 'env'), 'utf8')));
    live.delete(pending);
    live.add(stack);
    return stack;
  }

  get redisUrl(): string {
    return this.required('REDIS_URL');
  }

  get kafkaBrokers(): string {
    return this.required('KAFKA_BROKERS');
  }

  /** A Redis client on this stack, disconnected by down(). */
  redis(): Redis {
    const client = new Redis(this.redisUrl, { maxRetriesPerRequest: 3 });
    // Its Redis is stopped on purpose: a lost connection is expected, not an unhandled error.
    client.on('error', () => undefined);
    this.clients.push(client);
    return client;
  }

  kafka(): Kafka {
    return new Kafka({ clientId: 'cdr-bridge-test', brokers: this.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  }

  /** SIGTERM and wait (15 s, then SIGKILL); the port and data are kept for start(). */
  async stop(service: Service): Promise<void> {
    await this.script(['stop', service]);
  }

  /** SIGKILL: a crash; the port and data are kept for start(). */
  async kill(service: Service): Promise<void> {
    await this.script(['kill', service]);
  }

  /** Starts a stopped or killed service on the same port and data; resolves once it is ready. */
  async start(service: Service): Promise<void> {
    await this.script(['start', service], 180_000);
  }

  /** True when every service of the stack is alive. */
  async alive(): Promise<boolean> {
    return (await this.run(['status'])).code === 0;
  }

  /** Stops everything this stack started and deletes its data. */
  async down(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    if (!live.has(this)) return;
    live.delete(this);
    await this.script(['down'], 120_000);
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }

  /** Synchronous down() for process exit. */
  downNow(): void {
    live.delete(this);
    spawnSync('bash', [STACK, 'down'], { cwd: ROOT, env: { ...process.env, STACK_DIR: this.dir }, stdio: 'ignore', timeout: 60_000 });
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }

  /**
   * Runs scripts/stack against this STACK_DIR. Asynchronous on purpose: a stop waits up to
   * 15 s, and the test keeps reading bridge logs and polling endpoints meanwhile.
   */
  async run(args: string[], timeoutMs = 120_000): Promise<StackResult> {
    const { code, output } = await runToEnd('bash', [STACK, ...args], timeoutMs, { cwd: ROOT, env: { ...process.env, STACK_DIR: this.dir } });
    return { code, output };
  }

  private async script(args: string[], timeoutMs?: number): Promise<void> {
    const { code, output } = await this.run(args, timeoutMs);
    if (code !== 0) throw new Error(`scripts/stack ${args.join(' ')} exited ${code}:\n${output.slice(-3000)}`);
  }

  private required(key: string): string {
    const v = this.env[key];
    if (!v) throw new Error(`${key} missing from ${this.dir}/env`);
    return v;
  }
}

/** `KEY=value` lines (scripts/stack writes plain, unquoted values); comments and blanks skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq > 0) out[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return out;
}
