/** Relative link and image targets of a Markdown text, without anchors, queries, web addresses or code. */
export function markdownLinks(markdown: string): string[];
/** The package-relative paths a source map's `sources` name, for a map at `mapPath`. */
export function mapSources(map: unknown, mapPath: string): string[];
