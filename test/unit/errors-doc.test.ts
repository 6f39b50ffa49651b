/**
 * The error catalogue (src/errors.ts) and its page (docs/errors.md) list the same codes, in the same
 * order, with the same HTTP or exit status and the same message; each code has one kind of status; the
 * classes take their status from the catalogue; and no HTTP code outside the catalogue writes a 4xx/5xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../helpers/servers.js';
import {
  AsteriskTargetError,
  BadPathError,
  BodyError,
  BodyMemoryError,
  BodyTooLargeError,
  CATALOGUE,
  ConfigError,
  ConsistencyError,
  GatherError,
  GroupingKeyError,
  SelectorError,
  MatchRequiredError,
  LifecycleHeaderError,
  InternalError,
  LifecycleDisabledError,
  ListenError,
  MemoryLimitError,
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  PersistenceSetupError,
  PersistWriteError,
  ProtobufParseError,
  PushLimitError,
  QuitMethodError,
  SnapshotError,
  StoreUnavailableError,
  TlsSettingsError,
  TlsHandshakeError,
  SystemdSocketError,
  TextParseError,
  UnauthorizedError,
  UnexpectedError,
  UnsupportedFeatureError,
  WebConfigError,
  type CatalogueEntry,
  type GatewayError,
} from '../../src/errors.js';

interface DocEntry {
  code: string;
  httpStatus?: number;
  exitStatus?: number;
  message?: string;
}

function readDoc(): { entries: DocEntry[]; text: string } {
  const text = readFileSync(path.join(PROJECT_ROOT, 'docs/errors.md'), 'utf8');
  const entries: DocEntry[] = [];
  for (const section of text.split(/^### /m).slice(1)) {
    const heading = /^`(PGW_ERR_[A-Z0-9_]+)`\n/.exec(section);
    assert.ok(heading !== null, `a ### heading that is not a code: ${section.split('\n', 1)[0]}`);
    const entry: DocEntry = { code: heading[1]! };
    const http = /^- HTTP status: (\d+)$/m.exec(section);
    const exit = /^- Exit status: (\d+)$/m.exec(section);
    const message = /^- Message: `(.*)`$/m.exec(section);
    if (http !== null) entry.httpStatus = Number(http[1]);
    if (exit !== null) entry.exitStatus = Number(exit[1]);
    if (message !== null) entry.message = message[1]!.replaceAll('\\n', '\n');
    assert.match(section, /^- When: /m, `${entry.code}: no "When:"`);
    assert.match(section, /^- What to do: /m, `${entry.code}: no "What to do:"`);
    entries.push(entry);
  }
  return { entries, text };
}

const catalogue = Object.entries(CATALOGUE as Record<string, CatalogueEntry>);

test('docs/errors.md lists every catalogued code, in order, with its status and message', () => {
  const { entries } = readDoc();
  assert.deepEqual(
    entries.map((e) => e.code),
    catalogue.map(([code]) => code),
  );
  for (const [code, want] of catalogue) {
    const got = entries.find((e) => e.code === code)!;
    assert.equal(got.httpStatus, want.httpStatus, `${code}: HTTP status`);
    assert.equal(got.exitStatus, want.exitStatus, `${code}: exit status`);
    assert.equal(got.message, want.message, `${code}: message`);
  }
});

test('the page names no code that the catalogue does not hold', () => {
  const { text } = readDoc();
  for (const code of new Set(text.match(/PGW_ERR_[A-Z0-9_]+/g) ?? [])) {
    if (code === 'PGW_ERR_') continue;
    assert.ok(code in CATALOGUE, `docs/errors.md mentions ${code}`);
  }
});

test('each code has an HTTP status or an exit status, not both; HTTP statuses are 4xx/5xx', () => {
  for (const [code, e] of catalogue) {
    assert.ok(e.httpStatus === undefined || e.exitStatus === undefined, `${code} has both`);
    if (e.httpStatus !== undefined) assert.ok(e.httpStatus >= 400 && e.httpStatus <= 599, code);
    if (e.exitStatus !== undefined) assert.ok(e.exitStatus > 0 && e.exitStatus < 256, code);
  }
});

test("every error class carries its catalogue entry's code and status", () => {
  const instances: GatewayError[] = [
    new GroupingKeyError('x'),
    new SelectorError('x'),
    new MatchRequiredError(),
    new LifecycleHeaderError('X-Pushgateway-TTL', 'x', 'y'),
    new BodyError('x'),
    new BodyTooLargeError(1, false),
    new BodyMemoryError('x'),
    new TextParseError(1, 'x'),
    new ProtobufParseError('x'),
    new PushLimitError('sample_limit', 'x'),
    new MemoryLimitError('x'),
    new ConsistencyError(['x']),
    new StoreUnavailableError('x'),
    new NotFoundError(),
    new MethodNotAllowedError('GET'),
    new QuitMethodError(),
    new LifecycleDisabledError(),
    new NotReadyError(),
    new BadPathError(),
    new AsteriskTargetError(),
    new GatherError(['x']),
    new InternalError(),
    new UnauthorizedError(),
    new ConfigError('x'),
    new UnsupportedFeatureError('x'),
    new PersistenceSetupError('x'),
    new ListenError('x'),
    new SystemdSocketError('x'),
    new WebConfigError('f', 'k', 'x'),
    new PersistWriteError('x'),
    new UnexpectedError(new Error('x')),
    new SnapshotError('invalid', 'x'),
    new TlsHandshakeError('x'),
    new TlsSettingsError('x'),
  ];
  assert.deepEqual(new Set(instances.map((e) => e.code)), new Set(Object.keys(CATALOGUE)), 'one class per code');
  for (const err of instances) {
    const entry: CatalogueEntry = CATALOGUE[err.code];
    assert.equal((err as { status?: number }).status, entry.httpStatus, `${err.name}: status`);
    assert.equal((err as { exitStatus?: number }).exitStatus, entry.exitStatus, `${err.name}: exitStatus`);
    assert.equal(err.name, err.constructor.name);
  }
  // Fixed texts are the catalogue's, word for word.
  for (const err of [
    new NotFoundError(),
    new MatchRequiredError(),
    new MethodNotAllowedError('GET'),
    new QuitMethodError(),
    new LifecycleDisabledError(),
    new BadPathError(),
    new AsteriskTargetError(),
    new InternalError(),
    new UnauthorizedError(),
  ]) {
    assert.equal(err.message, CATALOGUE[err.code].message, err.code);
  }
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

test('no module writes a 4xx or 5xx status by hand: they come from catalogued errors', () => {
  const byHand = new RegExp(
    String.raw`\b(?:writeHead|sendText|sendEmpty|sendPieces|sendError)\(\s*\w+,\s*[45]\d\d\b` +
      String.raw`|statusCode\s*=\s*[45]\d\d`,
  );
  for (const file of sourceFiles(path.join(PROJECT_ROOT, 'src'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      assert.doesNotMatch(line, byHand, `${path.relative(PROJECT_ROOT, file)}:${i + 1}`);
    });
  }
});
