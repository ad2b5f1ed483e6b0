// Nothing in the repository refers to a file outside it: facts are cited from docs/, not from
// the notes the project was started from. Scans every tracked text file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './fixtures';

/** Ways a file could point outside the repository. */
const OUTSIDE = /\.\.\/shared|\/work\/|reference\/|sbp-network-spec|loihi-model|paper-results|platform-notes/;

const SELF = 'test/self-contained.test.ts';

describe('the repository is self-contained', () => {
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && f !== SELF && /\.(ts|mjs|js|json|md|wat|sh|txt)$/.test(f) && f !== 'package-lock.json');

  it('no tracked file refers to the notes outside it', () => {
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((f) => OUTSIDE.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('docs/ has the pages the code cites', () => {
    const cited = new Set<string>();
    for (const f of files) for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/docs\/([a-z-]+\.md)/g)) cited.add(m[1]);
    expect(cited.size).toBeGreaterThanOrEqual(4);
    const pages = new Set(files.filter((f) => f.startsWith('docs/')).map((f) => f.slice(5)));
    expect([...cited].filter((p) => !pages.has(p))).toEqual([]);
  });

  it('every cited section ("docs/page.md, \"Heading\"") is a heading of that page', () => {
    const missing: string[] = [];
    let count = 0;
    for (const f of files) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/docs\/([a-z-]+\.md)[,:]? *\(?\\?"([^"\\]+)\\?"/g)) {
        count++;
        const page = join(ROOT, 'docs', m[1]);
        const headings = readFileSync(page, 'utf8').split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#+ */, ''));
        if (!headings.includes(m[2])) missing.push(`${f}: ${m[1]} "${m[2]}"`);
      }
    }
    expect(count).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
