/**
 * The verdicts of bench scenario t (bench/targets.ts) must fail when they should: a TLS ratio worse than
 * the same ratio without TLS (in the row's direction, p50 and p99 alike), and basic auth costing 5 % or more
 * of ours' push rate over HTTPS. Rows are built by hand; nothing is measured here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkTargets } from '../../bench/targets.js';
import type { Row } from '../../bench/report.js';

function row(key: string, better: 'higher' | 'lower', ours: number[], reference: number[]): Row {
  return {
    id: 't',
    key,
    label: key,
    unit: better === 'higher' ? 'req/s' : 'ms',
    better,
    ours: { values: ours },
    reference: { values: reference },
  };
}

function verdict(rows: Row[], prefix: string): boolean | undefined {
  const c = checkTargets(rows).find((t) => t.target.startsWith(prefix));
  assert.ok(c, `no check starting with ${prefix}`);
  return c.met;
}

const PUSH_TLS = '(t) checked push over HTTPS:';
const SCRAPE_PLAIN = '(t) repeated scrape of 10k groups over HTTPS (plain)';
const AUTH = '(t) basic auth';

describe('bench scenario t targets', () => {
  it('a push ratio over HTTPS is met at or above the plain-HTTP ratio, missed below it', () => {
    const plain = row('t.push.http', 'higher', [1000], [100]); // 10×
    assert.equal(verdict([plain, row('t.push.tls', 'higher', [500], [50])], PUSH_TLS), true); // 10×
    assert.equal(verdict([plain, row('t.push.tls', 'higher', [900], [100])], PUSH_TLS), false); // 9×
  });

  it('a scrape ratio over HTTPS must be at most the plain-HTTP ratio at p50 and at p99', () => {
    const plain = row('t.scrape.http_plain.10000', 'lower', [1, 10], [100, 100]); // 0.01×, 0.1×
    const good = row('t.scrape.tls_plain.10000', 'lower', [2, 20], [200, 400]); // 0.01×, 0.05×
    const badP99 = row('t.scrape.tls_plain.10000', 'lower', [2, 60], [200, 400]); // 0.01×, 0.15×
    assert.equal(verdict([plain, good], SCRAPE_PLAIN), true);
    assert.equal(verdict([plain, badP99], SCRAPE_PLAIN), false);
  });

  it('a side missing gives no verdict rather than a pass', () => {
    const tls: Row = { ...row('t.push.tls', 'higher', [], [50]), ours: { values: [], note: 'error: exit 1' } };
    assert.equal(verdict([row('t.push.http', 'higher', [1000], [100]), tls], PUSH_TLS), undefined);
  });

  it('the CPU-per-push row, when measured, decides basic auth whatever the req/s rows say', () => {
    const rates = [row('t.push.tls', 'higher', [1000], [100]), row('t.push.tls_auth', 'higher', [500], [50])];
    assert.equal(verdict([...rates, row('t.auth_cpu', 'lower', [3.2], [])], AUTH), true);
    assert.equal(verdict([...rates, row('t.auth_cpu', 'lower', [5], [])], AUTH), false);
  });

  it('basic auth is met under 5 % of ours over HTTPS and missed at 5 % or more', () => {
    const tls = row('t.push.tls', 'higher', [1000], [100]);
    assert.equal(verdict([tls, row('t.push.tls_auth', 'higher', [960], [90])], AUTH), true);
    assert.equal(verdict([tls, row('t.push.tls_auth', 'higher', [950], [90])], AUTH), false);
  });

  it('no check of scenario t is listed when t did not run', () => {
    assert.ok(checkTargets([]).every((c) => !c.target.startsWith('(t)')));
  });
});
