/**
 * The documentation holds together: every relative link in README.md and docs/*.md names a file that
 * exists, and a link to a heading names one that the target has. The README stays a front door.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README_MAX_LINES = 250;

const DOCUMENTS = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name)),
];

/** The text outside fenced code blocks: a link in an example is not a link of the document. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** Inline link targets, `[text](target)`, without a title. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] ?? '');
}

/** The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces as dashes). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = (heading ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation links', () => {
  it.each(DOCUMENTS.map((path) => [relative(ROOT, path), path]))(
    'every relative link in %s resolves',
    (_name, path) => {
      const text = readFileSync(path, 'utf8');
      const broken = linkTargets(text)
        .filter((target) => !isExternal(target))
        .filter((target) => {
          const [file = '', anchor] = target.split('#');
          const targetPath = file === '' ? path : join(dirname(path), decodeURIComponent(file));
          if (!existsSync(targetPath)) return true;
          if (anchor === undefined || !targetPath.endsWith('.md')) return false;
          return !anchors(readFileSync(targetPath, 'utf8')).has(anchor);
        });

      expect(broken).toEqual([]);
    },
  );

  it(`keeps README.md a front door of at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;

    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });
});
