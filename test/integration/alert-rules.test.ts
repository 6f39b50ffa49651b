/**
 * deploy/prometheus/: the alert rules pass `promtool check rules`, their unit tests (alerts-test.yml: each
 * alert fires where it should and stays silent where it should not) pass `promtool test rules`, and
 * scrape.yml is a configuration `promtool check config` accepts, with honor_labels on the gateway's job;
 * one rule alerts on pushgateway_group_up == 0 (issue 12).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

const DIR = path.join(PROJECT_ROOT, 'deploy/prometheus');
const skip = skipUnlessProgram('promtool', 'apt-get install -y prometheus');

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

it('alerts.yml has a rule on pushgateway_group_up == 0 (issue 12)', () => {
  assert.match(readFileSync(path.join(DIR, 'alerts.yml'), 'utf8'), /expr: pushgateway_group_up == 0\n/);
});

it('promtool check rules accepts alerts.yml', { skip }, () => {
  const r = promtool('check', 'rules', 'alerts.yml');
  assert.equal(r.code, 0, r.out);
});

it('promtool test rules: every alert fires and stays silent as alerts-test.yml says', { skip }, () => {
  const r = promtool('test', 'rules', 'alerts-test.yml');
  assert.equal(r.code, 0, r.out);
  const rules = parse(readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string }[] }[];
  };
  const tests = readFileSync(path.join(DIR, 'alerts-test.yml'), 'utf8');
  for (const rule of rules.groups.flatMap((g) => g.rules)) {
    // Each alert is tested both ways: one eval with expected alerts and one with `exp_alerts: []`.
    const evals = tests.split('- eval_time').filter((e) => e.includes(`alertname: ${rule.alert}\n`));
    assert.ok(
      evals.some((e) => e.includes('exp_alerts: []')),
      `${rule.alert} has no test where it stays silent`,
    );
    assert.ok(
      evals.some((e) => e.includes('exp_labels')),
      `${rule.alert} has no test where it fires`,
    );
  }
});

it('scrape.yml is a valid configuration with honor_labels: true on the gateway job', { skip }, () => {
  const r = promtool('check', 'config', 'scrape.yml');
  assert.equal(r.code, 0, r.out);
  const config = parse(readFileSync(path.join(DIR, 'scrape.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; honor_labels?: boolean }[];
  };
  assert.equal(config.scrape_configs.find((c) => c.job_name === 'pushgateway')?.honor_labels, true);
});
