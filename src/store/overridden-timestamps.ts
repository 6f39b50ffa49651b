/**
 * Pushed families the gateway replaces with its own, as the reference does before its check: it sets
 * `push_time_seconds` itself on every push, and `push_failure_time_seconds` (to 0) on a group that has
 * none yet. A pushed family of either name is then never stored or checked, whatever its type, so a
 * `# TYPE push_time_seconds counter` is answered 200 like in the reference, not 400 `… is not a GAUGE`.
 * (On a group that already has a failure time the pushed `push_failure_time_seconds` is kept, and then
 * checked: the reference's quirk, kept.)
 */
import type { MetricFamily } from '../model/metric.js';
import { PUSH_FAILURE_TIME, PUSH_TIME, type Group } from './group.js';

/** `families` without those the gateway overrides in `group` (undefined: a group the push creates). */
export function withoutOverriddenTimestamps(families: MetricFamily[], group: Group | undefined): MetricFamily[] {
  const keepFailureTime = group?.families.has(PUSH_FAILURE_TIME) === true;
  let i = 0;
  for (; i < families.length; i++) {
    const name = families[i]!.name;
    if (name === PUSH_TIME || (name === PUSH_FAILURE_TIME && !keepFailureTime)) break;
  }
  // The common push names neither: no copy.
  if (i === families.length) return families;
  return families.filter((f) => f.name !== PUSH_TIME && (f.name !== PUSH_FAILURE_TIME || keepFailureTime));
}
