/**
 * A group: the metrics last pushed under one grouping key, plus its push_time_seconds and
 * push_failure_time_seconds gauges, stored as ordinary families like the reference does.
 */
import type { LabelPair } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import type { GroupFamily } from './family-index.js';

export const PUSH_TIME = 'push_time_seconds';
export const PUSH_FAILURE_TIME = 'push_failure_time_seconds';
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.';
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.';

export class Group {
  readonly id: string;
  readonly labels: GroupingLabels;
  /** Grouping labels plus instance="" when absent, sorted: the labels of the timestamp gauges. */
  readonly timestampLabels: LabelPair[];
  readonly families = new Map<string, GroupFamily>();

  constructor(id: string, labels: GroupingLabels) {
    this.id = id;
    this.labels = labels;
    const pairs = Object.keys(labels).map((name) => ({ name, value: labels[name]! }));
    if (!('instance' in labels)) pairs.push({ name: 'instance', value: '' });
    pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.timestampLabels = pairs;
  }

  /** Value of a timestamp gauge in seconds, 0 when absent. */
  gaugeValue(name: string): number {
    return this.families.get(name)?.family.metrics[0]?.value ?? 0;
  }

  /** The reference's `last_push_successful`: false iff the failure time is after the push time. */
  get lastPushSuccessful(): boolean {
    return !(this.gaugeValue(PUSH_FAILURE_TIME) > this.gaugeValue(PUSH_TIME));
  }
}
