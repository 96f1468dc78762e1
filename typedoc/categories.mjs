// TypeDoc plugin: puts every export of lib/index.ts in a category by the folder it is defined
// in (lib/render -> Rendering, lib/io -> Files, ...), and the stated limits (DEFAULT_MAX_*,
// MAX_*, MIN_*, *_RANGES) in Limits, so the site's index and navigation are grouped without a
// tag on each of several hundred declarations. An explicit `@category` tag wins. An export no
// rule places is reported as a warning, which `typedoc --treatWarningsAsErrors` turns into a
// failure: a new folder or file needs a rule here (or a tag).
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Comment, CommentTag, Converter } from 'typedoc';

/** First match wins; paths are relative to lib/, with forward slashes. */
const RULES = [
  [(name) => /^(DEFAULT_MAX_|MAX_|MIN_)|_RANGES$/.test(name), 'Limits'],
  [(_, path) => path.startsWith('synthesize/') || path === 'demo-assets.ts', 'Synthesis'],
  [(_, path) => path.startsWith('avatar/'), 'Avatars'],
  [(_, path) => path.startsWith('a2e/') || path.startsWith('audio/'), 'Speech'],
  [(_, path) => path.startsWith('distributed/'), 'Distributed training'],
  [(_, path) => path.startsWith('render/'), 'Rendering'],
  [(_, path) => path.startsWith('flame/') || path.startsWith('rig/'), 'FLAME and rigging'],
  [(_, path) => path.startsWith('eval/'), 'Evaluation'],
  [(_, path) => path.startsWith('synthetic/'), 'Synthetic data'],
  [(_, path) => path.startsWith('io/'), 'Files'],
  [(_, path) => path === 'errors.ts', 'Errors'],
  // The prebuild manifest's types live beside the install script that writes them.
  [(_, path) => /^(backends|native[\w-]*|tensor|validate)\.ts$/.test(path) || path === '../scripts/prebuild-torch.d.mts', 'Runtime'],
];

/** The category of an export named `name` defined in `path` (relative to lib/), or undefined. */
export function categoryOf(name, path) {
  return RULES.find(([matches]) => matches(name, path))?.[1];
}

function hasCategory(reflection) {
  const comments = [reflection.comment, ...(reflection.signatures ?? []).map((s) => s.comment)];
  return comments.some((c) => c?.blockTags.some((t) => t.tag === '@category'));
}

const lib = fileURLToPath(new URL('../lib', import.meta.url));

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of context.project.childrenIncludingDocuments ?? []) {
      if (hasCategory(reflection)) continue;
      let category;
      if (reflection.isDocument()) {
        category = 'Guides';
      } else {
        const file = reflection.sources?.[0]?.fullFileName ?? reflection.signatures?.[0]?.sources?.[0]?.fullFileName;
        category = file && categoryOf(reflection.name, relative(lib, file).split(sep).join('/'));
        if (!category) {
          app.logger.warn(`${reflection.name} (defined in ${file ?? 'an unknown file'}) has no category: add a rule to typedoc/categories.mjs or an @category tag`);
          continue;
        }
      }
      if (reflection.isDocument()) {
        reflection.frontmatter = { ...reflection.frontmatter, category };
      } else {
        reflection.comment ??= new Comment();
        reflection.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: category }]));
      }
    }
  });
}
