// A bridge (`cdr-bridge run`, a real process) on a redis-server of the test's own, beside the
// shared Kafka: for tests that break that Redis on purpose — its settings, its role, its data —
// and then check what the operator sees and that every CDR arrived exactly once.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis, { type RedisOptions } from 'ioredis';
import type { KafkaClientSettings } from '../../src/sink/kafka-client';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess, type LogLine } from './bridge-process';
import { LocalRedis } from './local-redis';
import { endpointsOf, httpGet, sample } from './ops-endpoints';
import { assertAllDelivered } from './scenario';
import { kafkaSettings, pushAll, services, uniqueName, waitFor } from './services';
import { readTopic, readTopicUntil, type TopicRecord } from './topic';

export interface Readyz {
  status: number;
  state: { ready: boolean; role: string; redis: boolean; kafka: boolean; redisConditions?: { condition: string; action: string }[] };
}

export class OwnRedisBridge {
  readonly source = uniqueName('test:cdrs');
  readonly topic = uniqueName('test.cdrs');
  readonly kafka: KafkaClientSettings = kafkaSettings();
  /** Every payload pushed so far, oldest first. */
  readonly pushed: string[] = [];
  bridge!: BridgeProcess;
  base = '';
  private seed = 1;

  private constructor(
    public server: LocalRedis,
    readonly dir: string,
    private readonly redisArgs: string[],
    readonly password: string | undefined,
    readonly client: Redis,
  ) {}

  /** A redis-server (`redisArgs` after the port) and a leading bridge on it. */
  static async start(opts: { redisArgs?: string[]; password?: string; env?: Record<string, string> } = {}): Promise<OwnRedisBridge> {
    const dir = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-bad-day-'));
    const args = [...(opts.password ? ['--requirepass', opts.password] : []), ...(opts.redisArgs ?? [])];
    const server = await LocalRedis.start(dir, args);
    const client = OwnRedisBridge.clientTo(server.port, opts.password);
    const own = new OwnRedisBridge(server, dir, args, opts.password, client);
    own.bridge = BridgeProcess.run(own.env(opts.env));
    own.base = await endpointsOf(own.bridge);
    await own.bridge.waitForLog('acquired the lease: leading', 60_000);
    return own;
  }

  static clientTo(port: number, password?: string, options: RedisOptions = {}): Redis {
    const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 3, ...(password ? { password } : {}), ...options });
    // The test breaks this Redis on purpose: a lost connection is expected, not an unhandled error.
    client.on('error', () => undefined);
    return client;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL: `redis://127.0.0.1:${this.server.port}`,
      ...(this.password ? { REDIS_PASSWORD: this.password } : {}),
      KAFKA_BROKERS: services.kafkaBrokers,
      CDR_SOURCE_KEY: this.source,
      KAFKA_TOPIC: this.topic,
      KAFKA_TOPIC_PARTITIONS: '3',
      HTTP_PORT: '0',
      LEASE_TTL_MS: '3000',
      BATCH_SIZE: '100',
      SCHEMA_REGISTRY_URL: '',
      ...extra,
    };
  }

  get processing(): string {
    return `${this.source}:processing`;
  }

  /** SIGKILLs the redis-server and starts it again on the same port and directory (`until`: see LocalRedis.start). */
  async restartRedis(extraArgs: string[] = [], until?: RegExp): Promise<void> {
    await this.server.kill();
    this.server = await LocalRedis.start(this.dir, [...this.redisArgs, ...extraArgs], { port: this.server.port, ...(until && { until }) });
  }

  /** LPUSHes `count` new CDRs (through `via`, by default the test's client) and remembers them. */
  async push(count: number, via: Redis = this.client): Promise<string[]> {
    const payloads = takeSynthetic(count, { seed: 1000 + this.seed++ });
    await pushAll(via, this.source, payloads);
    this.pushed.push(...payloads);
    return payloads;
  }

  /** Every CDR taken and acked: the source, landing (where a blocking take puts one) and processing lists empty. */
  async drained(timeoutMs = 120_000): Promise<void> {
    const lists = [this.source, `${this.processing}:landing`, this.processing];
    await waitFor('the source, landing and processing lists to drain', async () => (await Promise.all(lists.map((l) => this.client.llen(l)))).every((n) => n === 0), timeoutMs);
  }

  async readyz(): Promise<Readyz> {
    const answer = await httpGet(`${this.base}/readyz`);
    return { status: answer.status, state: JSON.parse(answer.body) as Readyz['state'] };
  }

  async metrics(): Promise<string> {
    return (await httpGet(`${this.base}/metrics`)).body;
  }

  async metric(series: string): Promise<number | undefined> {
    return sample(await this.metrics(), series);
  }

  /** Waits until /readyz is 503 naming `condition`, and returns it. */
  async notReadyFor(condition: string, timeoutMs = 30_000): Promise<Readyz> {
    return waitFor(`/readyz to be 503 naming ${condition}`, async () => {
      const r = await this.readyz();
      return r.status === 503 && r.state.redisConditions?.some((c) => c.condition === condition) ? r : undefined;
    }, timeoutMs);
  }

  /** The log lines the condition watch wrote when `condition` started, and when it ended. */
  conditionLines(condition: string): { started: LogLine[]; ended: LogLine[] } {
    const of = (level: string, prefix: string): LogLine[] => this.bridge.logs.filter((l) => l.level === level && l.condition === condition && l.msg.startsWith(prefix));
    return { started: of('warn', `redis ${condition}: `), ended: of('info', `redis ${condition} is over after `) };
  }

  /** Every CDR pushed is in the topic exactly once, decoded equal to what went in. */
  async assertExactlyOnce(): Promise<TopicRecord[]> {
    const records = await readTopicUntil(this.kafka, this.topic, this.pushed.length);
    const copies = assertAllDelivered(this.pushed, records);
    const doubled = [...copies.values()].filter((n) => n > 1).length;
    assert.equal(doubled, 0, `${doubled} CDRs in the topic more than once`);
    assert.equal(records.length, this.pushed.length, 'as many records as CDRs pushed');
    return records;
  }

  async records(): Promise<TopicRecord[]> {
    return readTopic(this.kafka, this.topic);
  }

  async stop(): Promise<void> {
    if (process.env.DUMP_LOGS) console.error(this.bridge.logs.map((l) => `${String(l.time)} ${l.level} ${l.msg} ${JSON.stringify({ err: l.err, answered: l.answered, refused: l.refused })}`).join('\n'));
    const { code } = await this.bridge.stop();
    this.client.disconnect();
    await this.server.kill();
    rmSync(this.dir, { recursive: true, force: true });
    assert.equal(code, 0, `the bridge exits 0 after the bad day:\n${this.bridge.stderr.slice(-2000)}`);
  }
}

/** ms between two log lines' `time` (ISO). */
export function msBetween(from: LogLine | number, to: LogLine): number {
  const start = typeof from === 'number' ? from : Date.parse(String(from.time));
  return Date.parse(String(to.time)) - start;
}
