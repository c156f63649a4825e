// A child process run to completion with its output kept: Kafka's Java tools, scripts/stack.
// Killed after a timeout, and with SIGKILL if this process exits first (no orphans).

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Both streams, in the order they arrived. */
  output: string;
}

export function runToEnd(cmd: string, args: readonly string[], timeoutMs: number, options: Pick<SpawnOptions, 'cwd' | 'env'> = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      output += b.toString();
    });
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      output += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      live.delete(child);
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      live.delete(child);
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output });
    });
  });
}

/** The Java scripts/stack runs Kafka with: $JAVA_HOME's when it has one, else `java` on PATH. */
export function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  return home && existsSync(`${home}/bin/java`) ? `${home}/bin/java` : 'java';
}
