// The package as a user gets it: `npm pack` of this checkout, installed into an empty directory
// from the tarball alone, runs `cdr-bridge --version` and `cdr-bridge doctor --help` on Node 24.
// Dependencies come from the npm registry, as for any user (npm's cache makes it quick).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../support/bridge-process';
import { runToEnd } from '../support/child';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; license: string; private?: boolean; description: string };
let dir: string;
let packed: string[] = [];
let bin: string;
// Node 24 first on PATH, as on a user's machine: the installed bin/cdr-bridge runs `node` from PATH.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-pack-'));
  // --ignore-scripts: the suite built dist/ (and dist/src/build-info.json) before it started; a
  // `prepare` here would rebuild dist/ under the running tests.
  const pack = await runToEnd('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], 300_000, { cwd: ROOT, env });
  assert.equal(pack.code, 0, pack.output.slice(-3000));
  const [report] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  packed = report!.files.map((f) => f.path);
  const app = path.join(dir, 'app');
  mkdirSync(app);
  const install = await runToEnd('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', path.join(dir, report!.filename)], 600_000, { cwd: app, env });
  assert.equal(install.code, 0, install.output.slice(-3000));
  assert.doesNotMatch(install.output, /EBADENGINE/);
  bin = path.join(app, 'node_modules/.bin/cdr-bridge');
}, { timeout: 900_000 });

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('is publishable, says what the bridge does now, and holds the code, the licence and the changelog, not the tests', () => {
    assert.notEqual(pkg.private, true);
    assert.equal(pkg.license, 'MIT');
    assert.match(pkg.description, /exactly once/);
    assert.doesNotMatch(pkg.description, /at least once/);
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'bin/cdr-bridge', 'dist/src/cli/main.js', 'dist/src/build-info.json', 'schemas/cdr.avsc']) {
      assert.ok(packed.includes(file), `the package holds ${file}`);
    }
    assert.ok(packed.some((f) => f.startsWith('src/source/lua/') && f.endsWith('.lua')), 'the Lua scripts');
    assert.deepEqual(packed.filter((f) => /^(test|bench|dist\/test|dist\/bench|\.ci)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
  });

  it('installed into an empty directory, `cdr-bridge --version` prints the version and the git revision it was built from, on Node 24', async () => {
    assert.match(process.version, /^v24\./);
    const built = JSON.parse(readFileSync(path.join(ROOT, 'dist/src/build-info.json'), 'utf8')) as { version: string; revision: string };
    assert.equal(built.version, pkg.version);
    if (execFileSync('git', ['-C', ROOT, 'rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' }).trim() === 'true') {
      assert.match(built.revision, new RegExp(`^${execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()}(-dirty)?$`), 'the revision of this checkout (scripts/build-info, run by npm run build)');
    }
    const r = await runToEnd(bin, ['--version'], 60_000, { env });
    assert.equal(r.code, 0, r.output);
    assert.equal(r.stdout.trim(), `${pkg.version} (revision ${built.revision})`);
  });

  it('installed, `cdr-bridge doctor --help` describes the checks and their exit codes', async () => {
    const r = await runToEnd(bin, ['doctor', '--help'], 60_000, { env });
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /^Usage: cdr-bridge doctor/m);
    assert.match(r.stdout.replace(/\s+/g, ' '), /exit 0 ok, 1 a FAIL, 3 warnings only/);
  });
});
