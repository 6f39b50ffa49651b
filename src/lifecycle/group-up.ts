/**
 * pushgateway_group_up (issue 12, docs/lifecycle.md): for each group that declared X-Pushgateway-Interval,
 * 1 while its last push succeeded and is younger than --push.group-up-grace × the interval, else 0, labelled
 * with the group's grouping labels (instance="" when it has none, as the reference does for the series it
 * stores), so that with honor_labels the series carries the group's job and instance. Groups without an
 * interval get no series; without any, the family is absent. The scrape takes it as one of the gateway's own
 * families; it is rebuilt when a lifecycle changes or the second turns.
 */
import type { LabelPair, MetricFamily } from '../model/metric.js';
import { compareLabelValues } from '../store/family-index.js';
import type { GroupLifecycle, GroupState } from './group-lifecycle.js';

export const GROUP_UP = 'pushgateway_group_up';
const HELP =
  'Whether the group pushed successfully within --push.group-up-grace times the interval its last push ' +
  'declared in X-Pushgateway-Interval (1) or not (0); not in the reference.';

function seriesLabels(s: GroupState): LabelPair[] {
  const pairs: LabelPair[] = Object.keys(s.labels).map((name) => ({ name, value: s.labels[name]! }));
  if (!('instance' in s.labels)) pairs.push({ name: 'instance', value: '' });
  return pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export class GroupUp {
  private cached: { key: string; families: MetricFamily[] } | null = null;

  constructor(private readonly lifecycle: GroupLifecycle) {}

  /** Changes when the family may have: a lifecycle changed, or a second passed. */
  version(now: number): string {
    return `${this.lifecycle.version}.${Math.floor(now / 1000)}`;
  }

  /** The family (in a list of zero or one), for the scrape's own families. */
  collect(now: number): MetricFamily[] {
    if (this.lifecycle.size === 0) return [];
    const key = this.version(now);
    if (this.cached?.key === key) return this.cached.families;
    const metrics: MetricFamily['metrics'] = [];
    for (const s of this.lifecycle.values()) {
      const up = this.lifecycle.up(s, now);
      if (up !== undefined) metrics.push({ labels: seriesLabels(s), value: up ? 1 : 0 });
    }
    metrics.sort((a, b) => compareLabelValues(a.labels, b.labels));
    const families: MetricFamily[] =
      metrics.length === 0 ? [] : [{ name: GROUP_UP, help: HELP, type: 'GAUGE', metrics }];
    this.cached = { key, families };
    return families;
  }
}
