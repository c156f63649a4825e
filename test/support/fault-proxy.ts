// The network between the bridges and the services, as `scripts/stack up --proxy` builds it:
// Toxiproxy, with two paths (a, b) that each pass through a proxy in front of Redis and of every
// Kafka node. A bridge given a path's addresses reaches Redis and Kafka only through it — even
// after bootstrap, since each broker advertises that path's proxy on a listener of its own — so a
// test can make one bridge's network go silent, slow or cut while another's works.

import { parseEnvFile } from './own-stack';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type PathName = 'a' | 'b';

/** What a bridge on one path connects to, and the proxies that path runs through. */
export interface NetworkPath {
  name: PathName;
  /** The bridge's REDIS_URL and KAFKA_BROKERS on this path. */
  env: { REDIS_URL: string; KAFKA_BROKERS: string };
  kafkaProxies: string[];
  redisProxy: string;
}

export type Stream = 'upstream' | 'downstream';

export interface Toxic {
  type: 'latency' | 'timeout' | 'bandwidth' | 'limit_data' | 'reset_peer' | 'slow_close' | 'slicer';
  /** upstream: from the bridge to the service; downstream: the replies. */
  stream: Stream;
  attributes: Record<string, number>;
  /** The share of connections it acts on, drawn per connection (default 1). */
  toxicity?: number;
}

/**
 * How a black hole is made: a `latency` toxic longer than any test, both ways. Data is held, not
 * lost, and delivered when the toxic goes, as TCP retransmits through a path that heals. Not
 * `timeout` with 0: it throws the bytes away and keeps the connection, which no network does —
 * after the heal the two ends read a Kafka or RESP stream with a hole in it. Not `bandwidth` 0:
 * Toxiproxy 2.5.0 holds data that way only by accident (rate 0 means "unlimited" in its sleep).
 */
const BLACK_HOLE_MS = 3_600_000;

export class FaultProxy {
  private readonly added: { proxy: string; name: string }[] = [];
  private readonly refused: string[] = [];

  private constructor(
    readonly url: string,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  /** The proxies of the stack in STACK_DIR (scripts/test-network starts it with `up --proxy`). */
  static attached(dir = process.env.STACK_DIR): FaultProxy {
    if (!dir) throw new Error('STACK_DIR is not set: run the network tests with `npm run test:network`, which starts a stack with the proxies');
    const env = parseEnvFile(readFileSync(path.join(dir, 'env'), 'utf8'));
    if (!env.TOXIPROXY_URL) throw new Error(`the stack in ${dir} has no proxies: it must be started with \`scripts/stack up --proxy\``);
    return new FaultProxy(env.TOXIPROXY_URL, env);
  }

  path(name: PathName): NetworkPath {
    const key = (what: string): string => {
      const v = this.env[`PATH_${name.toUpperCase()}_${what}`];
      if (!v) throw new Error(`PATH_${name.toUpperCase()}_${what} missing from the stack's env file`);
      return v;
    };
    return { name, env: { REDIS_URL: key('REDIS_URL'), KAFKA_BROKERS: key('KAFKA_BROKERS') }, kafkaProxies: key('KAFKA_PROXIES').split(','), redisProxy: key('REDIS_PROXY') };
  }

  /** Every path's Kafka proxies (every bridge's way to Kafka). */
  get allKafkaProxies(): string[] {
    return (['a', 'b'] as const).flatMap((p) => this.path(p).kafkaProxies);
  }

  /** Adds a toxic to a proxy: it applies to open connections and new ones alike. */
  async add(proxy: string, name: string, toxic: Toxic): Promise<void> {
    await this.call('POST', `/proxies/${proxy}/toxics`, { name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity ?? 1, attributes: toxic.attributes });
    this.added.push({ proxy, name });
  }

  async remove(proxy: string, name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${proxy}/toxics/${name}`);
    const i = this.added.findIndex((t) => t.proxy === proxy && t.name === name);
    if (i >= 0) this.added.splice(i, 1);
  }

  /** Packets neither way and no RST: connections (new ones too) stay open and silent until heal(). */
  async blackHole(proxies: readonly string[]): Promise<void> {
    for (const proxy of proxies) {
      await this.add(proxy, 'black-hole-up', { type: 'latency', stream: 'upstream', attributes: { latency: BLACK_HOLE_MS } });
      await this.add(proxy, 'black-hole-down', { type: 'latency', stream: 'downstream', attributes: { latency: BLACK_HOLE_MS } });
    }
  }

  /** `ms` added to every byte each way: a request's round trip takes 2 × ms longer. */
  async slow(proxies: readonly string[], ms: number): Promise<void> {
    for (const proxy of proxies) {
      await this.add(proxy, 'slow-up', { type: 'latency', stream: 'upstream', attributes: { latency: ms } });
      await this.add(proxy, 'slow-down', { type: 'latency', stream: 'downstream', attributes: { latency: ms } });
    }
  }

  /**
   * Connections opened from now on end with a TCP RST whenever they are closed (by a cut below),
   * not with a FIN. Toxiproxy sets SO_LINGER 0 on a connection that starts while a `reset_peer`
   * toxic is on its proxy; with toxicity 0 that toxic never resets anything itself.
   */
  async resetOnClose(proxies: readonly string[]): Promise<void> {
    for (const proxy of proxies) await this.add(proxy, 'rst-on-close', { type: 'reset_peer', stream: 'upstream', toxicity: 0, attributes: { timeout: 0 } });
  }

  /**
   * The next `bytes` the bridge sends on each open (or new) connection pass; then the connection
   * is closed under it — the request being written is cut in the middle.
   */
  async cutAfter(proxies: readonly string[], bytes: number): Promise<void> {
    for (const proxy of proxies) await this.add(proxy, 'cut', { type: 'limit_data', stream: 'upstream', attributes: { bytes } });
  }

  /** `ms` added to every reply (downstream only): a request reaches the service, its answer waits. */
  async holdReplies(proxies: readonly string[], ms: number): Promise<void> {
    for (const proxy of proxies) await this.add(proxy, 'hold-replies', { type: 'latency', stream: 'downstream', attributes: { latency: ms } });
  }

  /**
   * The proxies stop: their open connections are closed under the bridge — a reply a toxic still
   * holds is never delivered — and new ones are refused, until heal().
   */
  async refuse(proxies: readonly string[]): Promise<void> {
    for (const proxy of proxies) {
      await this.call('POST', `/proxies/${proxy}`, { enabled: false });
      this.refused.push(proxy);
    }
  }

  /** Removes every toxic this test added and restarts what it stopped: the paths work again. */
  async heal(): Promise<void> {
    for (const { proxy, name } of [...this.added].reverse()) await this.remove(proxy, name);
    for (const proxy of this.refused.splice(0)) await this.call('POST', `/proxies/${proxy}`, { enabled: true });
  }

  /** Every proxy enabled and without toxics, whoever added them (between tests). */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
    this.added.length = 0;
    this.refused.length = 0;
  }

  private async call(method: string, route: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${route}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${route}: HTTP ${res.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }
}
