// What the benchmark ran on: figures mean nothing without the machine and the versions.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  memGiB: number;
  node: string;
  kafka: string;
  redis: string;
  loadBefore: string;
  loadAfter: string;
}

export function describeMachine(kafkaVersion: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  let redis = 'unknown';
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? redis;
  } catch {
    // not on PATH: the stack found it elsewhere
  }
  return {
    nproc: os.availableParallelism(),
    cpu,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    kafka: kafkaVersion,
    redis,
    loadBefore: loadAverage(),
    loadAfter: '',
  };
}

export function loadAverage(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}
