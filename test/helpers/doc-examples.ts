/**
 * The `@example` code of the public API (what the API site shows), found with the TypeScript
 * compiler: every export of lib/index.ts, and the members of exported classes.
 */
import ts from 'typescript';

export interface DocExample {
  /** The export (or `Class.member`) the example documents. */
  name: string;
  /** Where its comment is, `lib/...ts:line`. */
  where: string;
  /** The code of one fenced block. */
  code: string;
}

/** The TypeScript code blocks of an `@example` tag's text (fenced `ts`, `typescript` or bare). */
export function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```(ts|typescript|)[ \t]*\n([\s\S]*?)```/g)].map((m) => m[2]!.replace(/\s+$/, '\n'));
}

function tagText(tag: ts.JSDocTag): string {
  return ts.getTextOfJSDocComment(tag.comment) ?? '';
}

function examplesOf(node: ts.Node, name: string, root: string): DocExample[] {
  const file = node.getSourceFile();
  const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const where = `${file.fileName.startsWith(root) ? file.fileName.slice(root.length + 1) : file.fileName}:${line}`;
  return ts
    .getJSDocTags(node)
    .filter((t) => t.tagName.text === 'example')
    .flatMap((t) => codeBlocks(tagText(t)).map((code) => ({ name, where, code })));
}

/** Every example of the API exported by `index` (an absolute path), in `program`. */
export function publicExamples(program: ts.Program, index: string, root: string): DocExample[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(index);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${index} is not a module of the program`);
  const out: DocExample[] = [];
  const seen = new Set<ts.Node>();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const decl of symbol.declarations ?? []) {
      if (seen.has(decl)) continue;
      seen.add(decl);
      out.push(...examplesOf(decl, exported.name, root));
      if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) {
        for (const member of decl.members) {
          const memberName = member.name && ts.isIdentifier(member.name) ? member.name.text : 'constructor';
          out.push(...examplesOf(member, `${exported.name}.${memberName}`, root));
        }
      }
    }
  }
  return out;
}
