/**
 * Series selectors over grouping labels (src/model/selector.ts), read as Prometheus reads `match[]`:
 * the four operators, PromQL string literals, anchored dot-all regexes, absent labels as empty values,
 * several selectors OR-ed, and a PGW_ERR_SELECTOR naming the problem for each kind of bad selector.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSelector, selects, selectsAny } from '../../src/model/selector.js';
import { SelectorError } from '../../src/errors.js';

const backup = { job: 'backup', instance: 'db-1' };
const web = { job: 'web', instance: 'web-1', zone: 'eu' };

function refused(text: string, message: RegExp): void {
  assert.throws(
    () => parseSelector(text),
    (err: unknown) => err instanceof SelectorError && err.code === 'PGW_ERR_SELECTOR' && message.test(err.message),
    text,
  );
}

describe('parseSelector and selects', () => {
  it('the four operators, with absent labels read as empty', () => {
    assert.equal(selects(parseSelector('{job="backup"}'), backup), true);
    assert.equal(selects(parseSelector('{job="backup"}'), web), false);
    assert.equal(selects(parseSelector('{job!="backup", job=~".+"}'), web), true);
    assert.equal(selects(parseSelector('{instance=~"db-.*"}'), backup), true);
    assert.equal(selects(parseSelector('{instance!~"db-.*", job=~".+"}'), web), true);
    assert.equal(selects(parseSelector('{job=~".+", zone=""}'), backup), true, 'zone is absent: empty');
    assert.equal(selects(parseSelector('{job=~".+", zone=""}'), web), false);
    assert.equal(selects(parseSelector('{job="backup",instance=~"db-.*"}'), backup), true);
    assert.equal(selects(parseSelector(' { job = "backup" , instance =~ "db-.*" , } '), backup), true);
  });

  it('regexes are anchored at both ends and . matches a newline, as Prometheus compiles them', () => {
    assert.equal(selects(parseSelector('{job=~"back"}'), backup), false);
    assert.equal(selects(parseSelector('{job=~"ack.*"}'), backup), false);
    assert.equal(selects(parseSelector('{job=~"a|backup"}'), backup), true, 'the alternation is inside the anchors');
    assert.equal(selects(parseSelector('{job=~"x.y"}'), { job: 'x\ny' }), true);
  });

  it('values are PromQL strings: double or single quotes with escapes, backticks raw', () => {
    assert.equal(parseSelector('{job="a\\"b\\\\c\\n"}').matchers[0]!.value, 'a"b\\c\n');
    assert.equal(parseSelector("{job='it\\'s'}").matchers[0]!.value, "it's");
    assert.equal(parseSelector('{job="\\x41\\u00e9\\U0001F600\\101"}').matchers[0]!.value, 'Aé😀A');
    assert.equal(parseSelector('{job=`a\\d+`}').matchers[0]!.value, 'a\\d+');
    assert.equal(selects(parseSelector('{instance=~`db-\\d+`}'), backup), true);
  });

  it('several selectors are OR-ed; none selects every group', () => {
    const s = [parseSelector('{job="backup"}'), parseSelector('{zone="eu"}')];
    assert.equal(selectsAny(s, backup), true);
    assert.equal(selectsAny(s, web), true);
    assert.equal(selectsAny(s, { job: 'other' }), false);
    assert.equal(selectsAny([], { job: 'other' }), true);
  });

  it('bad selectors are refused with PGW_ERR_SELECTOR naming the problem and where', () => {
    refused('job="x"', /bad selector job="x": a metric name is not a grouping label/);
    refused('up{job="x"}', /a metric name is not a grouping label/);
    refused('{job="x"', /unterminated selector, expected "}" at character 9/);
    refused('{job="x" instance="y"}', /expected "," or "}" at character 10/);
    refused('{job=="x"}', /expected a quoted value at character 6/);
    refused('{job~"x"}', /expected one of =, !=, =~, !~ after job/);
    refused('{1job="x"}', /expected a label name at character 2/);
    refused('{job="x\\q"}', /unknown escape \\q/);
    refused('{job="x}', /unterminated quoted value/);
    refused('{job="x"} y', /unexpected text after "}"/);
    refused('{job=~"("}', /regex \(: Invalid regular expression/);
    refused('{job=~"(?P<n>x)"}', /uses named groups/);
    refused('{job=~"(?i)x"}', /uses inline flags/);
    refused('{job=~"x(?=y)"}', /uses lookaround/);
    refused('{job=~"(a)\\\\1"}', /uses backreferences/);
  });

  it('a selector must need a non-empty value somewhere, as Prometheus requires of match[]', () => {
    refused('{}', /must contain at least one matcher that does not match the empty value/);
    refused('{job=~".*"}', /must contain at least one matcher/);
    refused('{job!="x", zone=""}', /must contain at least one matcher/);
    assert.doesNotThrow(() => parseSelector('{job!=""}'));
  });

  it('a repeated group holding a repetition or an alternation is refused (exponential backtracking)', () => {
    refused('{job=~"(a+)+b"}', /repeats a group that holds a repetition or an alternation/);
    refused('{job=~"(a|aa)*"}', /repeats a group/);
    refused('{job=~"((ab)*c)+"}', /repeats a group/);
    refused('{job=~"(x(a+))*"}', /repeats a group/);
    // Plain groups, one-level repetition and classes stay allowed.
    assert.equal(selects(parseSelector('{job=~"(db|web)-[0-9]+"}'), { job: 'db-12' }), true);
    assert.equal(selects(parseSelector('{job=~"(ab)+"}'), { job: 'abab' }), true);
    assert.equal(selects(parseSelector('{job=~"[(a+)]+"}'), { job: 'a+' }), true);
  });

  it('a huge selector is refused before it is parsed', () => {
    refused(`{job="${'x'.repeat(70_000)}"}`, /over the limit of 65536/);
  });
});
