/**
 * The limits a push passes on its way in, in one place for the push handler: the in-flight body budget
 * (503), the store's memory budget before and after parsing (507), and the optional per-push limits in
 * Prometheus's words (400). Each refusal is counted in pushgateway_push_rejections_total{reason}.
 */
import type { ServerResponse } from 'node:http';
import type { MetricFamily } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import type { GroupView } from '../store/group.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { BodyBudget, BodyHold } from '../format/body-budget.js';
import type { MemoryBudget } from '../store/memory-budget.js';
import { checkPushLimits, type PushLimits } from '../store/push-limits.js';
import { BodyMemoryError, MemoryLimitError, PushLimitError } from '../errors.js';

export class PushGuards {
  readonly memory: MemoryBudget;
  readonly bodies: BodyBudget;
  readonly limits: PushLimits;
  private readonly self: SelfMetrics | undefined;

  constructor(memory: MemoryBudget, bodies: BodyBudget, limits: PushLimits, self?: SelfMetrics) {
    this.memory = memory;
    this.bodies = bodies;
    this.limits = limits;
    this.self = self;
  }

  /** The request's share of the in-flight body budget, given back when its response is done. */
  holdFor(res: ServerResponse): BodyHold | undefined {
    return this.bodies.capBytes > 0 ? this.bodies.holdFor(res) : undefined;
  }

  /** Before parsing: could the decoded body fit the memory budget at all? */
  beforeParse(body: Buffer, protobuf: boolean, group: GroupView | undefined): void {
    this.memory.assertBodyFits(body, protobuf ? 'protobuf' : 'text', group);
  }

  /**
   * Between two slices of a big parse: the heap may not grow past the budget while the push is parsed
   * (the estimate before parsing is a floor), so a body that turns out bigger than it looked is refused
   * at the next slice instead of after it has taken the memory.
   */
  duringParse(): void {
    this.memory.assertHeadroom(1);
  }

  /** After parsing, before the store: the per-push limits, then the memory budget on what was parsed. */
  afterParse(families: readonly MetricFamily[], labels: GroupingLabels, group: GroupView | undefined): void {
    checkPushLimits(families, labels, this.limits);
    this.memory.assertParsedFits(families, group);
  }

  /** Counts a refusal by one of these limits; other errors are not ours to count. */
  noteRejection(err: unknown): void {
    const reason =
      err instanceof MemoryLimitError
        ? 'memory_limit'
        : err instanceof BodyMemoryError
          ? 'body_memory_limit'
          : err instanceof PushLimitError
            ? err.limit
            : undefined;
    if (reason !== undefined) this.self?.countRejection(reason);
  }
}
