// Redis servers and Sentinels a test starts itself, as child processes on free loopback ports,
// for topologies the shared stack does not have (TLS, a master with a replica and a Sentinel).
// Each is killed by its own PID: by the test's `after`, or when the test process exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closedPort } from './closed-port';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class LocalRedis {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Starts `redis-server` (or `redis-sentinel` when `sentinelConfig` is given: its config file
   * is written first, as Sentinel rewrites it) in `dir`, and resolves once it logs that it
   * accepts connections (or, with `until`, once its log matches that: e.g. /Server initialized/ to
   * catch it still loading its data). `args` come after the port; `--port 0 --tls-port` for TLS only.
   */
  static async start(dir: string, args: string[] = [], opts: { sentinelConfig?: string[]; port?: number; tlsOnly?: boolean; until?: RegExp } = {}): Promise<LocalRedis> {
    mkdirSync(dir, { recursive: true });
    const port = opts.port ?? (await closedPort());
    const logfile = path.join(dir, 'redis.log');
    let command: string;
    let argv: string[];
    if (opts.sentinelConfig) {
      const conf = path.join(dir, 'sentinel.conf');
      writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, ...opts.sentinelConfig, ''].join('\n'));
      command = 'redis-sentinel';
      argv = [conf, '--logfile', logfile, ...args];
    } else {
      command = 'redis-server';
      const portArgs = opts.tlsOnly ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
      argv = [...portArgs, '--bind', '127.0.0.1', '--dir', dir, '--logfile', logfile, '--save', '', ...args];
    }
    writeFileSync(logfile, '');
    const child = spawn(command, argv, { cwd: dir, stdio: 'ignore' });
    live.add(child);
    child.on('exit', () => live.delete(child));
    const server = new LocalRedis(port, dir, child);
    const deadline = Date.now() + 15_000;
    const ready = opts.until ?? (opts.sentinelConfig ? /\+monitor master/ : /Ready to accept connections/);
    while (!ready.test(server.log())) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${command} exited at start:\n${server.log().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${command} on port ${port} not ready after 15 s:\n${server.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** What the server wrote to its log file so far. */
  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'redis.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGKILL by PID, and wait for the exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
