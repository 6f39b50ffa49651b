/**
 * deploy/prometheus/alerts.yml is a valid Prometheus rule file (promtool check rules) and alerts on
 * pushgateway_group_up == 0 (issue 12); promtool unit-tests the rule on a down and an up group.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';
import { run } from '../clients/gateway-target.js';

const RULES = path.join(PROJECT_ROOT, 'deploy/prometheus/alerts.yml');
const skip = skipUnlessProgram('promtool', 'apt-get install -y prometheus');

test('alerts.yml has a rule on pushgateway_group_up == 0', () => {
  assert.match(readFileSync(RULES, 'utf8'), /expr: pushgateway_group_up == 0\n/);
});

test('promtool check rules accepts alerts.yml', { skip }, async () => {
  const r = await run('promtool', ['check', 'rules', RULES]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 1 rules found/);
});

test('promtool test rules: a down group fires after 1m, an up one does not', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-rules-'));
  const file = path.join(dir, 'test.yml');
  writeFileSync(
    file,
    [
      'rule_files:',
      `  - ${RULES}`,
      'evaluation_interval: 15s',
      'tests:',
      '  - interval: 15s',
      '    input_series:',
      '      - series: \'pushgateway_group_up{job="backup",instance="db-1"}\'',
      "        values: '1 1 0 0 0 0 0 0'",
      '      - series: \'pushgateway_group_up{job="backup",instance="db-2"}\'',
      "        values: '1 1 1 1 1 1 1 1'",
      '    alert_rule_test:',
      '      - eval_time: 105s',
      '        alertname: PushgatewayGroupDown',
      '        exp_alerts:',
      '          - exp_labels: { severity: warning, job: backup, instance: db-1 }',
      '            exp_annotations:',
      "              summary: 'Pushed group backup/db-1 is late or failing'",
      '              description: >-',
      '                The group backup (instance "db-1") on map[] has not pushed successfully within its grace',
      "                period, or its last push was rejected. See the gateway's",
      '                /api/v1/groups?match[]={job="backup"} for its last push and failure times.',
      '',
    ].join('\n'),
  );
  const r = await run('promtool', ['test', 'rules', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
