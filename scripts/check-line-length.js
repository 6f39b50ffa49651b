/**
 * `npm run lint`'s line-length check: no line of src/, test/, bench/, fuzz/ or scripts/ is over 120
 * characters, except where the overflow lies inside a string, template or regular-expression literal (as
 * ESLint's max-len with ignoreStrings, ignoreTemplateLiterals and ignoreRegExpLiterals): a message or a
 * test's expected text stays one greppable piece. Biome's formatter would wrap code at 120 columns, but it
 * also rewrites the tree's dense tables and one-line cases (README, Dependencies), so it is not run.
 * Prints file:line:column for each offending line; exits 1 when there is one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const LIMIT = 120;
const DIRS = ['src', 'test', 'bench', 'fuzz', 'scripts'];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.(ts|js)$/.test(entry.name) ? [file] : [];
  });
}

const LITERALS = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateExpression,
  ts.SyntaxKind.RegularExpressionLiteral,
]);

/** Whether position `pos` lies inside a string, template (substitutions included) or regex literal of `sf`. */
function insideLiteral(sf, pos) {
  let node = sf;
  for (;;) {
    const child = node.getChildren(sf).find((c) => c.getStart(sf) <= pos && pos < c.getEnd());
    if (child === undefined) return false;
    if (LITERALS.has(child.kind)) return true;
    node = child;
  }
}

let problems = 0;
for (const file of DIRS.flatMap((d) => sourceFiles(path.join(root, d))).sort()) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (!lines.some((l) => l.length > LIMIT)) continue;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  let offset = 0;
  lines.forEach((line, i) => {
    if (line.length > LIMIT && !insideLiteral(sf, offset + LIMIT)) {
      console.log(
        `${path.relative(root, file)}:${i + 1}:${LIMIT + 1}: line of ${line.length} characters (limit ${LIMIT})`,
      );
      problems++;
    }
    offset += line.length + 1;
  });
}
if (problems > 0) {
  console.log(`${problems} line(s) over ${LIMIT} characters outside a literal`);
  process.exit(1);
}
