/**
 * Differential fuzzing of the text parser against Go's: the same generated and mutated bodies through
 * parseTextBody and through Debian's prometheus/common expfmt.TextParser (fuzz/go-expfmt/main.go, one
 * process for all inputs, built offline in GOPATH mode as the Go client test builds its pusher). Verdicts
 * are compared, and for bodies both accept the parsed families (a canonical dump both sides compute).
 *
 * Debian's prometheus/common is older than the v0.69 our parser follows, so some disagreements are the
 * version gap that docs/compatibility.md already lists; each disagreement is classified by the feature
 * of the input that explains it, and one that no known difference explains is a new finding.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUtf8 } from 'node:buffer';
import type { MetricFamily } from '../src/model/metric.js';
import { GatewayError } from '../src/errors.js';
import { parseTextBody } from '../src/format/text-body.js';
import { PROJECT_ROOT } from '../test/helpers/servers.js';
import { skipUnless, skipUnlessProgram } from '../test/helpers/skip.js';
import { FINDINGS_DIR } from './harness.js';
import { Rng } from './prng.js';
import { loadCorpus } from './seeds.js';
import { generateTextInput } from './targets/text.js';
import { TEXT_DICTIONARY } from './mutate.js';

const GOPATH = '/usr/share/gocode';
const EXPFMT = `${GOPATH}/src/github.com/prometheus/common/expfmt`;
const NEW_SAVED = 20;

export interface DifferentialOptions {
  seed: number;
  inputs: number;
  save?: boolean;
}

export interface Disagreement {
  index: number;
  input: Buffer;
  ours: string;
  go: string;
  known?: string;
}

export interface DifferentialResult {
  goVersion: string;
  inputs: number;
  bothAccept: number;
  bothAcceptSameModel: number;
  bothReject: number;
  bothRejectSameText: number;
  disagreements: number;
  byKnown: Map<string, number>;
  newFindings: number;
  examples: Disagreement[];
  seconds: number;
}

let built: { binary: string; version: string } | { skip: string } | undefined;

/** Builds the harness once per process; a loud skip reason when Go or the Debian packages are missing. */
export function goHarness(): { binary: string; version: string } | { skip: string } {
  if (built !== undefined) return built;
  const skip =
    skipUnlessProgram('go', 'apt-get install -y golang-go') ||
    skipUnless(existsSync(EXPFMT), EXPFMT, 'apt-get install -y golang-github-prometheus-common-dev');
  if (skip !== false) return (built = { skip });
  const dir = mkdtempSync(join(tmpdir(), 'go-expfmt-'));
  const binary = join(dir, 'go-expfmt');
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH,
    GOCACHE: join(tmpdir(), 'pushgateway-ts-gocache'),
    GOFLAGS: '',
  };
  const r = spawnSync('go', ['build', '-o', binary, '.'], {
    cwd: join(PROJECT_ROOT, 'fuzz/go-expfmt'),
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`building fuzz/go-expfmt failed:\n${r.stderr}${r.error ?? ''}`);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Version} is dpkg-query's format field, not ours.
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'golang-github-prometheus-common-dev'], {
    encoding: 'utf8',
  });
  return (built = {
    binary,
    version: dpkg.status === 0 ? `prometheus/common ${dpkg.stdout} (Debian)` : 'prometheus/common (version unknown)',
  });
}

/** Runs every input through the Go harness in one process; one answer per input. */
function runGo(binary: string, inputs: Buffer[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) {
        reject(new Error(`go-expfmt exited ${status}: ${err}`));
        return;
      }
      const all = Buffer.concat(out);
      const answers: string[] = [];
      for (let pos = 0; pos < all.length; ) {
        const len = all.readUInt32LE(pos);
        answers.push(all.subarray(pos + 4, pos + 4 + len).toString('latin1'));
        pos += 4 + len;
      }
      resolve(answers);
    });
    child.stdin.on('error', () => {
      /* reported by close */
    });
    const framed: Buffer[] = [];
    for (const b of inputs) {
      const head = Buffer.alloc(4);
      head.writeUInt32LE(b.length);
      framed.push(head, b);
    }
    child.stdin.end(Buffer.concat(framed));
  });
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

function f64(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.readBigUInt64BE().toString(16);
}

/** A count as Go's uint64 would print it; a count no uint64 holds is marked as a float. */
function count(v: number, float?: number): string {
  if (float !== undefined && float > 0) return `f${f64(float)}`;
  return Number.isInteger(v) && v >= 0 && v < 2 ** 64 ? BigInt(v).toString() : `f${f64(v)}`;
}

/** The canonical dump of our families, as fuzz/go-expfmt/main.go prints Go's. */
export function dumpFamilies(families: MetricFamily[]): string {
  const sorted = [...families].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  let out = '';
  for (const mf of sorted) {
    out += `F ${hex(mf.name)} ${mf.type} ${mf.help === undefined ? '-' : hex(mf.help)}\n`;
    for (const m of mf.metrics) {
      const labels = m.labels.map((l) => `${hex(l.name)}=${hex(l.value)}`).sort();
      out += `M ${labels.join(',')} ts=${m.timestampMs === undefined ? '-' : m.timestampMs} `;
      if (mf.type === 'SUMMARY') {
        const s = m.summary;
        out += `count=${count(s?.sampleCount ?? 0)} sum=${f64(s?.sampleSum ?? 0)} q=`;
        for (const q of s?.quantiles ?? []) out += `${f64(q.quantile)}:${f64(q.value)};`;
      } else if (mf.type === 'HISTOGRAM' || mf.type === 'GAUGE_HISTOGRAM') {
        const h = m.histogram;
        out += `count=${count(h?.sampleCount ?? 0, h?.sampleCountFloat)} sum=${f64(h?.sampleSum ?? 0)} b=`;
        for (const b of h?.buckets ?? [])
          out += `${f64(b.upperBound)}:${count(b.cumulativeCount, b.cumulativeCountFloat)};`;
      } else {
        out += `v=${f64(m.value ?? 0)}`;
      }
      out += '\n';
    }
  }
  return out;
}

function ours(body: Buffer): string {
  try {
    return `A${dumpFamilies(parseTextBody(body, { utf8Names: false }))}`;
  } catch (err) {
    if (err instanceof GatewayError) return `R${err.message}`;
    return `C${String(err)}`;
  }
}

/**
 * The known difference (docs/compatibility.md) that explains a disagreement, or undefined. Each rule
 * names the input feature that the two versions treat differently.
 */
export function classify(input: Buffer, our: string, go: string): string | undefined {
  const text = input.toString('latin1');
  const noTs = (x: string): string => x.replace(/ ts=\S+ /g, ' ts=? ');
  if (our.startsWith('A') && go.startsWith('A') && noTs(our) === noTs(go)) {
    return 'sample timestamp beyond 2^53 ms held as a double (a push with any timestamp is refused)';
  }
  if (/(^|\n)[ \t]*\{/.test(text) && (go.startsWith('P') || go.includes('invalid metric name'))) {
    return 'a nameless {…} line re-using the previous metric (v0.69; 0.39 refuses or panics)';
  }
  // Both parsers drop a backslash in a TYPE keyword (`gaug\ehistogram` is `gaugehistogram`).
  if (/(^|\n)# ?TYPE[ \t]+\S+[ \t]+(gaugehistogram|gauge_histogram)/i.test(text.replace(/\\/g, '')))
    return 'gauge histogram TYPE (1.11, prometheus/common ≥ 0.6x)';
  if (/(^|\n)#[ \t]+HELP[ \t][^\n]*\\"/.test(text)) return '\\" in HELP is an escaped quote (1.11)';
  if (/(^|\n)[ \t]*(#[ \t]+(HELP|TYPE)[ \t]+)?"|[{,][ \t]*"/.test(text))
    return 'quoted UTF-8 name syntax (1.11, prometheus/common ≥ 0.5x)';
  if (!isUtf8(input)) return 'invalid UTF-8 (HELP kept byte for byte / label value check differs by version)';
  if (
    our.startsWith('A') &&
    go.startsWith('A') &&
    /(SUMMARY|HISTOGRAM)/.test(go + our) &&
    /count=f|:f|count=\d{17,}|:\d{17,}/.test(our + go)
  ) {
    return 'non-integer, negative or huge histogram/summary counts (float histograms in 1.11; 0.39 truncates or wraps)';
  }
  if (our.startsWith('R') && go.startsWith('A') && /histogram|summary/.test(text) && /count|bucket/i.test(our)) {
    return 'negative or invalid histogram/summary counts (a parse error in 1.11; 0.39 wraps)';
  }
  return undefined;
}

export async function runDifferential(o: DifferentialOptions): Promise<DifferentialResult | { skip: string }> {
  const h = goHarness();
  if ('skip' in h) return h;
  const start = performance.now();
  const corpus = loadCorpus();
  const opts = { dictionary: TEXT_DICTIONARY, corpus: corpus.text, maxBytes: 64 * 1024 };
  const inputs: Buffer[] = [];
  for (let i = 0; i < o.inputs; i++) {
    let { body } = generateTextInput(new Rng(o.seed, 'go-differential', i), opts, true);
    if (body.length > opts.maxBytes) body = body.subarray(0, opts.maxBytes);
    inputs.push(body);
  }
  const goAnswers = await runGo(h.binary, inputs);
  const r: DifferentialResult = {
    goVersion: h.version,
    inputs: inputs.length,
    bothAccept: 0,
    bothAcceptSameModel: 0,
    bothReject: 0,
    bothRejectSameText: 0,
    disagreements: 0,
    byKnown: new Map(),
    newFindings: 0,
    examples: [],
    seconds: 0,
  };
  for (const [i, input] of inputs.entries()) {
    const our = ours(input);
    const go = goAnswers[i]!;
    if (our[0] === 'R' && go[0] === 'R') {
      r.bothReject++;
      if (our === go) r.bothRejectSameText++;
      continue;
    }
    if (our[0] === 'A' && go[0] === 'A') {
      r.bothAccept++;
      if (our === go) {
        r.bothAcceptSameModel++;
        continue;
      }
    }
    r.disagreements++;
    const known = our[0] === 'C' ? undefined : classify(input, our, go);
    if (known === undefined) r.newFindings++;
    else r.byKnown.set(known, (r.byKnown.get(known) ?? 0) + 1);
    const d: Disagreement = { index: i, input, ours: our, go, ...(known === undefined ? {} : { known }) };
    if (known === undefined && r.examples.filter((e) => e.known === undefined).length < NEW_SAVED) {
      r.examples.push(d);
      if (o.save ?? true) saveDisagreement(o.seed, d);
    } else if (known !== undefined && !r.examples.some((e) => e.known === known)) r.examples.push(d);
  }
  r.seconds = (performance.now() - start) / 1000;
  return r;
}

function saveDisagreement(seed: number, d: Disagreement): void {
  mkdirSync(FINDINGS_DIR, { recursive: true });
  const base = join(FINDINGS_DIR, `go-differential-s${seed}-i${d.index}`);
  writeFileSync(`${base}.bin`, d.input);
  writeFileSync(`${base}.txt`, `ours: ${d.ours}\n\ngo: ${d.go}\n`);
}

export function formatDifferential(r: DifferentialResult | { skip: string }): string {
  if ('skip' in r) return `*** ${r.skip} ***`;
  const lines = [
    `against ${r.goVersion} (our parser follows v0.69), ${r.inputs} inputs in ${r.seconds.toFixed(1)} s`,
    `both accept ${r.bothAccept} (same model ${r.bothAcceptSameModel}), both reject ${r.bothReject} (same ` +
      `error text ${r.bothRejectSameText})`,
    `disagreements ${r.disagreements}: known ${r.disagreements - r.newFindings}, new ${r.newFindings}`,
  ];
  for (const [k, n] of r.byKnown) lines.push(`  known ×${n}: ${k}`);
  for (const e of r.examples) {
    lines.push(
      `  ${e.known === undefined ? 'NEW' : 'known'} #${e.index}: ` +
        `${JSON.stringify(e.input.subarray(0, 300).toString('latin1'))}`,
    );
    lines.push(`      ours: ${JSON.stringify(e.ours.slice(0, 300))}`);
    lines.push(`      go:   ${JSON.stringify(e.go.slice(0, 300))}`);
  }
  return lines.join('\n');
}
