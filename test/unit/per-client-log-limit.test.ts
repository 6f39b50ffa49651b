/**
 * The per-client log rate limit: N lines per client per window, the rest counted and reported once per
 * window, clients independent, the table of windows bounded. The clock is a parameter, so windows are
 * ended by moving it, not by waiting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OVERFLOW_CLIENT, PerClientLogLimit } from '../../src/observe/per-client-log-limit.js';
import type { LogLevel } from '../../src/config.js';

function limiter(opts: { maxClients?: number } = {}) {
  let t = 0;
  const reports: Array<[string, number, LogLevel]> = [];
  const limit = new PerClientLogLimit(
    { linesPerWindow: 3, windowMs: 10_000, now: () => t, ...opts },
    (client, n, level) => reports.push([client, n, level]),
  );
  return {
    limit,
    reports,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('per-client log limit', () => {
  it('admits N lines per window, counts the rest, and reports them once when the next line opens a window', () => {
    const { limit, reports, advance } = limiter();
    const admitted = Array.from({ length: 8 }, () => limit.admit('10.0.0.1', 'warn'));
    assert.deepEqual(admitted, [true, true, true, false, false, false, false, false]);
    assert.deepEqual(reports, []);
    advance(10_000);
    assert.equal(limit.admit('10.0.0.1', 'warn'), true);
    assert.deepEqual(reports, [['10.0.0.1', 5, 'warn']]);
    limit.closeAll();
    assert.equal(reports.length, 1, 'a window that suppressed nothing reports nothing');
  });

  it('reports ended windows on closeEnded, with the most severe level suppressed', () => {
    const { limit, reports, advance } = limiter();
    for (const level of ['warn', 'warn', 'warn', 'warn', 'error', 'warn'] as const) limit.admit('c', level);
    advance(9_999);
    limit.closeEnded();
    assert.deepEqual(reports, []);
    advance(1);
    limit.closeEnded();
    assert.deepEqual(reports, [['c', 3, 'error']]);
  });

  it('clients do not share a budget', () => {
    const { limit } = limiter();
    for (let i = 0; i < 3; i++) assert.equal(limit.admit('a', 'warn'), true);
    assert.equal(limit.admit('a', 'warn'), false);
    assert.equal(limit.admit('b', 'warn'), true);
    limit.closeAll();
  });

  it('beyond maxClients open windows, new clients share one window', () => {
    const { limit, reports } = limiter({ maxClients: 2 });
    assert.equal(limit.admit('a', 'warn'), true);
    assert.equal(limit.admit('b', 'warn'), true);
    const others = ['c', 'd', 'e', 'f', 'g'].map((c) => limit.admit(c, 'warn'));
    assert.deepEqual(others, [true, true, true, false, false]);
    limit.closeAll();
    assert.deepEqual(reports, [[OVERFLOW_CLIENT, 2, 'warn']]);
  });
});
