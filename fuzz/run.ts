/**
 * `npm run fuzz`: the in-process fuzz run over every target, then the differential run of the text
 * parser against Go's expfmt. Exit status 1 when there is a finding or a new disagreement.
 *   --seconds=N      a time-bounded run: N seconds shared by the targets (default: the full input count)
 *   --inputs=N       total inputs of the in-process run (default 1,050,000)
 *   --seed=S         run seed (default: random, printed)
 *   --target=a,b     only these targets (text, protobuf, grouping-key, router, body, negotiate)
 *   --index=I        replay input I of one --target for --seed, printing the input and the outcome
 *   --go-inputs=N    inputs of the Go differential run (default 20,000; 0 = skip)
 */
import { GatewayError } from '../src/errors.js';
import { Rng, randomSeed } from './prng.js';
import { emptyStats, runOne } from './harness.js';
import { findingCount, formatReport, initTargets, runFuzz, selectTargets } from './fuzz.js';
import { formatDifferential, runDifferential } from './go-differential.js';

const FULL_INPUTS = 1_050_000;
const FULL_GO_INPUTS = 20_000;

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m === null) throw new Error(`unknown argument ${a}`);
    args.set(m[1]!, m[2] ?? 'true');
  }
  return args;
}

async function replay(target: string, seed: number, index: number): Promise<void> {
  initTargets();
  const [t] = selectTargets([target]);
  const input: unknown = t!.generate(new Rng(seed, t!.name, index));
  const { bytes, note } = t!.save(input);
  console.log(`input (${note}, ${bytes.length} bytes):`);
  console.log(JSON.stringify(bytes.subarray(0, 4000).toString('latin1')));
  try {
    const out: unknown = await t!.exec(input);
    console.log('accepted');
    await t!.check(input, out);
    console.log('properties hold');
  } catch (err) {
    if (err instanceof GatewayError) console.log(`rejected: ${err.code} ${err.message}`);
    else throw err;
  }
  const stats = emptyStats(t!.name);
  await runOne(t!, seed, index, stats, false);
  console.log(`timed: ${stats.slowest[0]!.ms.toFixed(2)} ms`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const seed = args.has('seed') ? Number(args.get('seed')) >>> 0 : randomSeed();
  const targets = args
    .get('target')
    ?.split(',')
    .filter((s) => s !== '');
  if (args.has('index')) {
    if (targets?.length !== 1) throw new Error('--index needs exactly one --target');
    await replay(targets[0]!, seed, Number(args.get('index')));
    return 0;
  }
  const seconds = args.has('seconds') ? Number(args.get('seconds')) : Infinity;
  const inputs = args.has('inputs')
    ? Number(args.get('inputs'))
    : Number.isFinite(seconds)
      ? Number.MAX_SAFE_INTEGER
      : FULL_INPUTS;
  const goInputs = args.has('go-inputs')
    ? Number(args.get('go-inputs'))
    : Number.isFinite(seconds)
      ? Math.min(FULL_GO_INPUTS, Math.round(seconds * 200))
      : FULL_GO_INPUTS;
  console.log(
    `fuzz: seed ${seed}, ${Number.isFinite(seconds) ? `${seconds} s` : `${inputs} inputs`} over ` +
      `${targets?.join(', ') ?? 'every target'}`,
  );
  const stats = await runFuzz({
    seed,
    inputs,
    seconds,
    ...(targets === undefined ? {} : { targets }),
    log: (l) => console.log(l),
  });
  console.log(`\n${formatReport(stats, seed)}`);
  let failed = findingCount(stats) > 0;
  if (goInputs > 0 && (targets === undefined || targets.includes('text'))) {
    console.log(`\ndifferential against Go expfmt: ${goInputs} inputs`);
    const diff = await runDifferential({ seed, inputs: goInputs });
    console.log(formatDifferential(diff));
    if ('newFindings' in diff && diff.newFindings > 0) failed = true;
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
