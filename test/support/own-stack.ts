// A private stack (Redis + Kafka, by scripts/stack) for tests that stop, kill and restart
// services on purpose: the shared .stack must never be broken. Each lives in its own
// temporary STACK_DIR; the test takes it down, and a test process that dies takes it down too.
// With three Kafka nodes (`brokers: 3`) it is the fault bed: nodes paused, killed, restarted,
// and the leader of a partition looked up. The fault suite's runner starts one such stack for
// all its files; they use it through attached(), which never takes it down.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { Admin } from '@platformatic/kafka';
import { openAdmin, type KafkaClientSettings } from '../../src/sink/kafka-client';
import { ROOT } from './bridge-process';
import { runToEnd } from './child';
import { kafkaSettings } from './services';

/** `kafka` is the one node of a default stack, or node 1 of a cluster. */
export type KafkaNode = 'kafka' | `kafka-${number}`;
export type Service = 'redis' | 'registry' | KafkaNode;

export function kafkaNode(id: number): KafkaNode {
  return `kafka-${id}`;
}

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
    /** False for a stack someone else started (attached): down() leaves it running. */
    private readonly owned = true,
  ) {}

  /** Starts a fresh stack on free loopback ports; resolves once every service accepts connections. */
  static async up(opts: { registry?: boolean; brokers?: 1 | 3 } = {}): Promise<OwnStack> {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-own-stack-')), 's');
    const pending = new OwnStack(dir, {});
    live.add(pending);
    try {
      await pending.script(['up', ...(opts.registry ? ['--registry'] : []), '--brokers', String(opts.brokers ?? 1)], 300_000);
    } catch (err) {
      pending.downNow();
      throw err;
    }
    const stack = new OwnStack(dir, parseEnvFile(readFileSync(path.join(dir, 'env'), 'utf8')));
    live.delete(pending);
    live.add(stack);
    return stack;
  }

  /** The stack in `dir` that a runner started (scripts/test-faults exports its STACK_DIR). */
  static attached(dir = process.env.STACK_DIR): OwnStack {
    if (!dir) throw new Error('STACK_DIR is not set: run the fault tests with `npm run test:faults`, which starts the three-broker stack');
    return new OwnStack(dir, parseEnvFile(readFileSync(path.join(dir, 'env'), 'utf8')), false);
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

  /** How to reach this stack's Kafka (for the readers of src/sink and openAdmin). */
  kafka(): KafkaClientSettings {
    return kafkaSettings(this.kafkaBrokers);
  }

  /**
   * An admin client for a cluster with a paused node: that node keeps its connections open and
   * answers nothing, so a request landing on it (metadata goes to any node) fails after a short
   * timeout and is retried, usually on another node. The caller closes it.
   */
  patientAdmin(): Promise<Admin> {
    return openAdmin(this.kafka(), { timeout: 10_000, retries: 10 });
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
    // Longer than scripts/stack's own readiness wait (STACK_TIMEOUT, up to 300 s in the fault suite).
    await this.script(['start', service], 330_000);
  }

  /** SIGSTOP one Kafka node: it keeps its connections but answers nothing until resume(). */
  async pause(node: KafkaNode): Promise<void> {
    await this.script(['pause', node]);
  }

  /** SIGCONT a paused node. */
  async resume(node: KafkaNode): Promise<void> {
    await this.script(['resume', node]);
  }

  /** The id N of the node (kafka-N) leading a partition, as the cluster's metadata says now. */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    const { code, output } = await this.run(['leader', topic, String(partition)], 30_000);
    const id = Number(output.trim().split('\n').pop());
    if (code !== 0 || !Number.isInteger(id)) throw new Error(`scripts/stack leader ${topic} ${partition} exited ${code}: ${output.slice(-500)}`);
    return id;
  }

  /** The Kafka nodes of this stack: [1] or [1, 2, 3]. */
  get kafkaNodeIds(): number[] {
    return Array.from({ length: Number(this.env.KAFKA_NODES ?? '1') }, (_, i) => i + 1);
  }

  /** Every node running and unpaused again (after a test that broke some, whatever it did). */
  async heal(): Promise<void> {
    for (const id of this.kafkaNodeIds) await this.run(['resume', kafkaNode(id)]);
    await this.script(['up', '--brokers', String(this.kafkaNodeIds.length)], 300_000);
  }

  /** True when every service of the stack is alive (and no node paused). */
  async alive(): Promise<boolean> {
    return (await this.run(['status'])).code === 0;
  }

  /** Stops everything this stack started and deletes its data. */
  async down(): Promise<void> {
    for (const c of this.clients.splice(0)) c.disconnect();
    if (!this.owned || !live.has(this)) return;
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
