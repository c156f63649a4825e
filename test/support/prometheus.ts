// A real Prometheus server (Debian's) for a test: its own port, its own data directory, a fast
// scrape and rule evaluation, and its HTTP API. Stopped by its PID (and killed if the test
// process exits first).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { httpGet } from './ops-endpoints';
import { waitFor } from './services';
import { closedPort } from './closed-port';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

export interface RuleState {
  name: string;
  query: string;
  state?: 'inactive' | 'pending' | 'firing';
  health: string;
}

export interface PrometheusOptions {
  binary: string;
  /** host:port of each target, scraped as job "cdr-bridge". */
  targets: string[];
  /** Text of the rule file to load. */
  rules: string;
  /** Scrape and evaluation interval. */
  intervalSeconds?: number;
}

export class PrometheusServer {
  output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {}

  static async start(opts: PrometheusOptions): Promise<PrometheusServer> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-prometheus-'));
    const interval = `${opts.intervalSeconds ?? 1}s`;
    writeFileSync(path.join(dir, 'rules.yml'), opts.rules);
    // JSON is YAML: no YAML writer needed.
    const config = {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: [path.join(dir, 'rules.yml')],
      scrape_configs: [{ job_name: 'cdr-bridge', static_configs: [{ targets: opts.targets }] }],
    };
    writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
    const port = await closedPort();
    const child = spawn(opts.binary, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    child.stdout!.on('data', (b: Buffer) => (server.output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (server.output += b.toString()));
    child.on('exit', () => live.delete(child));
    try {
      await waitFor('Prometheus to be ready', async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${server.output}`);
        return (await httpGet(`${server.url}/-/ready`, 2000).catch(() => undefined))?.status === 200;
      }, 30_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async api<T>(pathAndQuery: string): Promise<T> {
    const answer = await httpGet(`${this.url}${pathAndQuery}`);
    const body = JSON.parse(answer.body) as { status: string; data: T; error?: string };
    if (answer.status !== 200 || body.status !== 'success') throw new Error(`GET ${pathAndQuery}: ${answer.status} ${answer.body}`);
    return body.data;
  }

  /** GET /api/v1/alerts: the pending and firing alerts (a resolved alert leaves the list). */
  async alerts(): Promise<ActiveAlert[]> {
    return (await this.api<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts;
  }

  /** GET /api/v1/rules: every loaded rule with its state. */
  async rules(): Promise<RuleState[]> {
    const data = await this.api<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((g) => g.rules);
  }

  /** An instant query's samples. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (await this.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result;
  }

  /** SIGTERM by PID, SIGKILL after 10 s; then its data directory is deleted. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(this.pid, 'SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The shipped rules with every `for:` shortened, so a test sees them fire in seconds. */
export function withShortFor(rules: string, duration: string): string {
  let count = 0;
  const out = rules.replace(/^([ \t]+for:[ \t]*)\S+[ \t]*$/gm, (_m, head: string) => (count++, `${head}${duration}`));
  if (count === 0) throw new Error('no `for:` found to shorten');
  return out;
}

