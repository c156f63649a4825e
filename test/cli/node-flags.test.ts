// bin/cdr-bridge starts node with the V8 flags of src/cli/node-flags.ts (the benchmark uses the
// constant, operators the script): the two must not drift apart.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { NODE_FLAGS } from '../../src/cli/node-flags';
import { BIN } from '../support/bridge-process';

describe('node flags', () => {
  it('bin/cdr-bridge execs node with exactly the flags of src/cli/node-flags.ts, before the script', () => {
    const exec = readFileSync(BIN, 'utf8').split('\n').find((l) => l.startsWith('exec "$node" '));
    assert.ok(exec, 'an exec "$node" line');
    const words = exec.split(/\s+/).slice(2);
    const script = words.findIndex((w) => w.includes('dist/src/cli/main.js'));
    assert.ok(script > 0, exec);
    assert.deepEqual(words.slice(0, script), [...NODE_FLAGS]);
  });

  it('the node that ./bin/cdr-bridge starts really runs with them (its process.execArgv)', () => {
    // A preload module (NODE_OPTIONS --require) reports the execArgv of the node the script
    // execs, then exits before the CLI runs.
    const dir = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-flags-'));
    const probe = path.join(dir, 'probe.js');
    writeFileSync(probe, 'process.stdout.write(JSON.stringify(process.execArgv)); process.exit(0);\n');
    try {
      const out = execFileSync(BIN, ['--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } });
      assert.deepEqual(JSON.parse(out), [...NODE_FLAGS]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
