/**
 * `npm run lint`'s line-length check: no line of src/, test/, bench/, fuzz/ or scripts/ is over 120
 * characters, literals included. Biome's formatter wraps code at 120 columns but leaves a long string,
 * template or regular expression whole; those are split by hand (`'…' +` pieces, `/…/.source +` pieces).
 * Prints file:line:column for each offending line; exits 1 when there is one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

let problems = 0;
for (const file of DIRS.flatMap((d) => sourceFiles(path.join(root, d))).sort()) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > LIMIT) {
        console.log(
          `${path.relative(root, file)}:${i + 1}:${LIMIT + 1}: line of ${line.length} characters (limit ${LIMIT})`,
        );
        problems++;
      }
    });
}
if (problems > 0) {
  console.log(`${problems} line(s) over ${LIMIT} characters`);
  process.exit(1);
}
