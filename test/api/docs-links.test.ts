// The repository stands alone: every relative link in the README and docs/ resolves to a file inside
// it, and no file names a path outside it (e.g. a sibling checkout's notes).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f));
  return [join(root, 'README.md'), join(root, 'bench', 'README.md'), ...docs];
}

t.test('every relative link in the README and docs/ points at a file inside the repository', async (t) => {
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^(https?:|mailto:|#)/.test(target)) continue;
      const path = resolve(dirname(file), target.split('#')[0]!);
      const inside = !relative(root, path).startsWith('..');
      t.ok(inside && existsSync(path), `${relative(root, file)} → ${target}`);
    }
  }
});

t.test('no source or doc file cites notes outside the repository', async (t) => {
  const outside = /\.\.\/shared\/|\bshared\/(DESIGN|STYLE)\.md/;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (['node_modules', '.git', 'data', 'dist', 'bench'].includes(e.name) && dir === root) return e.name === 'bench' ? walk(join(dir, e.name)) : [];
      const p = join(dir, e.name);
      return e.isDirectory() ? walk(p) : /\.(ts|js|md|yml|yaml|json|sh)$/.test(e.name) && e.name !== 'package-lock.json' ? [p] : [];
    });
  const offenders = walk(root).filter((f) => outside.test(readFileSync(f, 'utf8')) && !f.endsWith('docs-links.test.ts'));
  t.same(offenders.map((f) => relative(root, f)), []);
});
