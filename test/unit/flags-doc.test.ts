/**
 * docs/flags.md's table and `--help` (the CLI's own flag table, src/cli.ts) name the same flags with the
 * same defaults, so the reference page cannot drift from the code: a flag added, renamed, removed or given
 * another default on one side and not the other fails here. The descriptions differ on purpose (the page
 * explains more), so only names and defaults are compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '../../src/cli.js';
import { PROJECT_ROOT } from '../helpers/servers.js';

/** What --help says of a flag's default: a value, a placeholder (computed at start), or none (a boolean). */
type HelpDefault = { kind: 'value'; value: string } | { kind: 'placeholder' } | { kind: 'boolean' };

/** Flag name (as written, `--[no-]` included) → default, from the usage text. */
function helpFlags(): Map<string, HelpDefault> {
  const result = parseCommandLine(['--help'], { width: 200 });
  assert.equal(result.kind, 'help');
  const text = (result as { text: string }).text;
  const flags = new Map<string, HelpDefault>();
  for (const line of text.split('\n')) {
    const m = /^ {2}(?:-h, | {4})(--(?:\[no-\])?[a-z][\w.-]*)(?:=(\S*))?/.exec(line);
    if (m === null) continue;
    const [, name, value] = m;
    let d: HelpDefault;
    if (value === undefined) d = { kind: 'boolean' };
    else if (value === name!.slice(2).toUpperCase()) d = { kind: 'placeholder' };
    // kingpin quotes string defaults (`="/metrics"`); the page writes them bare, and the empty one as `""`.
    else d = { kind: 'value', value: value === '' || value === '""' ? '""' : value.replace(/^"(.+)"$/, '$1') };
    flags.set(name!, d);
  }
  return flags;
}

/** Flag name → the Default cell, from the table of docs/flags.md. */
function docFlags(): Map<string, string> {
  const doc = readFileSync(path.join(PROJECT_ROOT, 'docs/flags.md'), 'utf8');
  const flags = new Map<string, string>();
  // The table under the header `| Flag | Default | …`, up to the first line that is not a row.
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Flag | Default |'));
  assert.ok(start >= 0, 'docs/flags.md has no | Flag | Default | table');
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [, flagCell, defaultCell] = line.split(/(?<!\\)\|/).map((c) => c.trim());
    // `-h`, `--[no-]help`: the long name is the one --help lists first after `-h, `.
    const names = [...flagCell!.matchAll(/`(--[^`]+)`/g)].map((m) => m[1]!);
    assert.equal(names.length, 1, `docs/flags.md row names ${names.length} long flags: ${line}`);
    assert.ok(!flags.has(names[0]!), `docs/flags.md lists ${names[0]} twice`);
    flags.set(names[0]!, defaultCell!);
  }
  return flags;
}

const help = helpFlags();
const doc = docFlags();

test('--help lists the flags, and docs/flags.md has a table of them', () => {
  assert.ok(help.size >= 25, `${help.size} flags read from --help`);
  assert.ok(help.has('--web.listen-address') && help.has('--[no-]help') && help.has('--[no-]version'));
  assert.ok(doc.size >= 25, `${doc.size} rows read from docs/flags.md`);
});

test('every flag of --help is in docs/flags.md, and every flag of docs/flags.md is in --help', () => {
  assert.deepEqual(
    [...help.keys()].filter((f) => !doc.has(f)),
    [],
    'in --help, not in docs/flags.md',
  );
  assert.deepEqual(
    [...doc.keys()].filter((f) => !help.has(f)),
    [],
    'in docs/flags.md, not in --help',
  );
});

test('docs/flags.md gives each flag the default --help shows', () => {
  for (const [name, d] of help) {
    const cell = doc.get(name);
    if (cell === undefined) continue; // reported by the test above
    if (d.kind === 'value') {
      assert.equal(cell, `\`${d.value}\``, `${name}: --help says ${d.value}`);
    } else if (d.kind === 'boolean') {
      // kingpin's own --help and --version have no value at all.
      const expected = name === '--[no-]help' || name === '--[no-]version' ? '' : 'false';
      assert.equal(cell, expected, `${name} is a boolean`);
    } else {
      // Computed at start (from the machine's memory): the page says how, in words, not as one value.
      assert.ok(cell !== '' && !/^`[^`]*`$/.test(cell), `${name}: --help shows a placeholder, the page ${cell}`);
    }
  }
});
