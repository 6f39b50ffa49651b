/**
 * Grouping-key target: parseGroupingKey on job segments and label paths (already percent-decoded, as
 * the router hands them over), plain and @base64, legacy and UTF-8 (`U__`) names. An accepted key has a
 * non-empty job and only label names valid under the active rules, and gets a group id.
 */
import { groupIdFor, parseGroupingKey, type GroupingLabels } from '../../src/model/grouping-key.js';
import { isValidLegacyLabelName, isValidUtf8Name } from '../../src/model/names.js';
import { decodePath } from '../../src/http/router.js';
import { mutate, type MutateOptions } from '../mutate.js';
import type { Rng } from '../prng.js';
import type { Corpus } from '../seeds.js';
import { expect, type Target } from '../target.js';

export interface GroupingKeyInput {
  job: string;
  jobIsBase64: boolean;
  labelPath: string;
  utf8Names: boolean;
}

const DICTIONARY = [
  '/',
  '//',
  '@base64',
  '=',
  '==',
  'U__',
  '_2e_',
  '__',
  '_',
  'job',
  'instance',
  '%',
  '+',
  '-',
  ' ',
  'YQ',
  'YQ==',
  'Y-8',
  '_w',
  '\n',
  '\r',
  'ü',
  '\udcff',
  'a.b',
  '0',
];
let opts: MutateOptions;
let seeds: Array<[string, boolean, string]>;

/** Splits a push URL into the route's parameters: job segment, whether it is base64, label remainder. */
export function splitPushPath(path: string): [string, boolean, string] | undefined {
  const m = /^\/metrics\/job(@base64)?\/([^/]*)(.*)$/.exec(path);
  return m === null ? undefined : [m[2]!, m[1] !== undefined, m[3]!];
}

function mutateString(rng: Rng, s: string): string {
  return rng.chance(0.2) ? s : mutate(rng, Buffer.from(s, 'utf8'), opts).toString(rng.chance(0.8) ? 'utf8' : 'latin1');
}

export const groupingKeyTarget: Target<GroupingKeyInput, GroupingLabels> = {
  name: 'grouping-key',
  weight: 12,
  init(corpus: Corpus) {
    seeds = corpus.urls.map((u) => splitPushPath(decodePath(u.split('?')[0]!) ?? '')).filter((s) => s !== undefined);
    opts = { dictionary: DICTIONARY, corpus: seeds.map(([j, , l]) => Buffer.from(j + l, 'utf8')), maxBytes: 16 * 1024 };
  },
  generate(rng: Rng) {
    const [job, b64, labels] = rng.pick(seeds);
    return {
      job: mutateString(rng, job),
      jobIsBase64: rng.chance(0.9) ? b64 : !b64,
      labelPath: mutateString(rng, labels),
      utf8Names: rng.chance(0.4),
    };
  },
  exec: (i) => parseGroupingKey(i.job, i.jobIsBase64, i.labelPath, { utf8Names: i.utf8Names }),
  check(i, labels) {
    expect(typeof labels.job === 'string' && labels.job !== '', 'accepted key without a job');
    for (const name of Object.keys(labels)) {
      expect(
        i.utf8Names ? isValidUtf8Name(name) : isValidLegacyLabelName(name),
        `accepted label name ${JSON.stringify(name)}`,
      );
    }
    groupIdFor(labels);
  },
  size: (i) => i.job.length + i.labelPath.length,
  save: (i) => ({ bytes: Buffer.from(JSON.stringify(i), 'utf8'), note: 'JSON of parseGroupingKey arguments' }),
};
