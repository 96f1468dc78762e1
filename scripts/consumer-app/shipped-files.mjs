// Pure helpers of check-consumer-app.mjs: which files a Markdown file and a source map point
// at, so the check can tell whether the installed package ships them.
import { dirname, posix } from 'node:path';

/**
 * Relative link and image targets of a Markdown text (inline `[text](target)`, `<img src>`,
 * `<a href>`), without their `#anchor` or `?query`. Web addresses, `mailto:`, in-page
 * anchors and targets inside fenced code blocks are left out: only files can be shipped.
 */
export function markdownLinks(markdown) {
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
  const targets = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^)]*["'])?\s*\)/g)) targets.push(m[1]);
  for (const m of text.matchAll(/<(?:img|a|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) targets.push(m[1]);
  return targets
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#') && !t.startsWith('//'))
    .map((t) => decodeURIComponent(t.replace(/[#?].*$/, '')))
    .filter((t) => t !== '');
}

/** The package-relative paths a source map's `sources` name, for a map at `mapPath` (package-relative, POSIX). */
export function mapSources(map, mapPath) {
  if (!map || !Array.isArray(map.sources)) throw new Error(`${mapPath}: expected a source map with a "sources" array, received ${JSON.stringify(map)?.slice(0, 80)}`);
  const base = posix.join(dirname(mapPath), map.sourceRoot ?? '');
  return map.sources.map((s) => posix.normalize(posix.join(base, s)));
}
