// Runs `./bin/cdr-bridge <command>` as a real process, as an operator would, and collects its
// JSON log lines. Every process started here is killed when the test process exits.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type Redis from 'ioredis';

export const ROOT = path.resolve(__dirname, '../../..');
export const BIN = path.join(ROOT, 'bin/cdr-bridge');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export class BridgeProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private exitedFlag = false;

  constructor(
    private readonly args: string[],
    env: Record<string, string>,
  ) {
    this.child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    let partial = '';
    this.child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderr += text;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (e.g. a one-line CLI error): kept in stderr
        }
      }
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitedFlag = true;
        live.delete(this.child);
        resolve({ code, signal });
      });
    });
  }

  static run(env: Record<string, string>, extraArgs: string[] = []): BridgeProcess {
    return new BridgeProcess(['run', ...extraArgs], env);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exitedFlag;
  }

  /** Resolves with the first log line whose msg contains `text`. */
  async waitForLog(text: string, timeoutMs = 60000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.logs.find((l) => typeof l.msg === 'string' && l.msg.includes(text));
      if (line) return line;
      if (!this.running) throw new Error(`bridge exited before logging "${text}"; stderr:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for log "${text}"; stderr:\n${this.stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resolves once `text` appears anywhere in the process's stdout or stderr. */
  async waitForOutput(text: string, timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdout.includes(text) && !this.stderr.includes(text)) {
      if (!this.running) throw new Error(`bridge exited before printing "${text}"; stderr:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for "${text}"; stderr:\n${this.stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    // A signal that reaches `run` before it installs its handlers (node still loading) ends it at
    // once, exit by signal: a test that found its work done early stops a bridge still starting.
    // Wait until it listens (its handlers are in place by then), as an operator's would have.
    // One that has exited already needs no stopping; one still running but never listening fails the wait.
    if (this.args[0] === 'run' && this.running) {
      await this.waitForLog('http endpoints listening', 30_000).catch((err: Error) => {
        if (this.running) throw err;
      });
    }
    this.kill(signal);
    return this.exited;
  }
}

/** Runs a CLI command to completion; returns exit code, stdout and stderr. */
export async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new BridgeProcess(args, env);
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** The pid of the bridge holding the lease of `source` (its token is `host|pid|...`), or -1. */
export async function leaseHolderPid(redis: Redis, source: string): Promise<number> {
  const token = await redis.get(`${source}:lease`);
  return token ? Number(token.split('|')[1]) : -1;
}

/** Waits until a bridge other than `oldPid` holds the lease of `source`; returns its pid. */
export async function waitForNewLeaseHolder(redis: Redis, source: string, oldPid: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = await leaseHolderPid(redis, source).catch(() => -1);
    if (pid > 0 && pid !== oldPid) return pid;
    if (Date.now() > deadline) throw new Error(`no bridge but pid ${oldPid} took the lease within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
