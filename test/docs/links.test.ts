// The documentation holds together: every relative link resolves (to a file, and to a heading
// when it names one); every test file the docs cite exists, and every test name they quote after
// it is a test in that file; the generated tables are current; nothing points outside the
// repository. Pure file reads: no services.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/bridge-process';

/** The Markdown a reader is sent to: the README, the changelog, docs/ and the examples' own. */
function markdownFiles(): string[] {
  const found = ['README.md', 'CHANGELOG.md'];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(ROOT, rel))) {
      const child = `${rel}/${entry}`;
      if (entry === 'node_modules' || entry.startsWith('.')) continue;
      if (statSync(path.join(ROOT, child)).isDirectory()) walk(child);
      else if (entry.endsWith('.md')) found.push(child);
    }
  };
  walk('docs');
  walk('examples');
  return found;
}

const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
/** Fenced code is not prose: its brackets and quotes are shell and JSON. */
const prose = (text: string): string => text.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(rel: string): Set<string> {
  return new Set([...prose(read(rel)).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/**
 * Names given to it(), test() and describe() in a test file (literal strings only), and each
 * suite's name followed by a test's, as a sentence citing "suite test" reads.
 */
function testNames(rel: string): Set<string> {
  const suites: string[] = [];
  const tests: string[] = [];
  for (const m of read(rel).matchAll(/\b(it|test|describe)\(\s*(['"`])((?:\\.|(?!\2)[^\\])*)\2/g)) {
    const name = m[3]!.replace(/\\(.)/g, '$1').replace(/\s+/g, ' ');
    (m[1] === 'describe' ? suites : tests).push(name);
  }
  return new Set([...suites, ...tests, ...suites.flatMap((s) => tests.map((t) => `${s} ${t}`))]);
}

/**
 * A quoted name is a test's whole name, or its beginning when the quote ends in "…". A name
 * written as a template (`replay ${mode} --force …`) matches with any text for each `${…}`.
 */
function cites(names: Set<string>, quoted: string): boolean {
  if (quoted.endsWith('…')) {
    const start = quoted.slice(0, -1);
    return [...names].some((n) => n.startsWith(start));
  }
  if (names.has(quoted)) return true;
  return [...names].filter((n) => n.includes('${')).some((n) => {
    const pattern = n.split(/\$\{[^}]*\}/).map((part) => part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')).join('.+');
    return new RegExp(`^${pattern}$`).test(quoted);
  });
}

describe('the documentation', () => {
  const files = markdownFiles();

  it('has only relative links that resolve, to a file and to a heading there when one is named', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const m of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const [rel, anchor] = target.split('#') as [string, string | undefined];
        const resolved = rel === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), rel));
        if (resolved.startsWith('..') || !existsSync(path.join(ROOT, resolved))) broken.push(`${file}: ${target} (no ${resolved})`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('cites only test files that exist, and quotes only test names those files hold', () => {
    const wrong: string[] = [];
    let cited = 0;
    for (const file of files) {
      // A quoted name belongs to the test file cited last in the same paragraph or list item.
      // Blocks: paragraphs, list items and table rows. Code spans other than a test's path are
      // skipped (a metric's label value in quotes is not a test name).
      for (const block of prose(read(file)).split(/\n\s*\n|\n(?=\s*(?:\d+\.|[-*]) )|\n(?=\|)/)) {
        let current: string | undefined;
        for (const m of block.replace(/\s+/g, ' ').matchAll(/`(test\/[\w./-]+\.test\.ts)`|`[^`]*`|"([^"]+)"/g)) {
          if (!m[1] && !m[2]) continue;
          if (m[1]) {
            current = m[1];
            cited++;
            if (!existsSync(path.join(ROOT, current))) wrong.push(`${file}: no ${current}`);
          } else if (current && existsSync(path.join(ROOT, current)) && !cites(testNames(current), m[2]!)) {
            wrong.push(`${file}: ${current} has no test "${m[2]}"`);
          }
        }
      }
    }
    assert.ok(cited > 20, `the delivery guarantee cites its tests (${cited} citations found)`);
    assert.deepEqual(wrong, []);
  });

  it('points at nothing outside the repository (no notes, issue numbers or sessions of its making)', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const m of read(file).matchAll(/shared\/notes|\bissue #?\d+|\bsessions?\b|this machine kind/gi)) found.push(`${file}: "${m[0]}"`);
    }
    assert.deepEqual(found, []);
  });

  it('keeps the README short: under 200 lines', () => {
    const lines = read('README.md').split('\n').length;
    assert.ok(lines <= 200, `README.md has ${lines} lines`);
  });
});
