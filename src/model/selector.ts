/**
 * Prometheus series selectors over grouping labels, for `match[]` (issue 12, docs/lifecycle.md): a
 * selector is `{name="v", name!="v", name=~"re", name!~"re", …}`. Values are PromQL string literals
 * (double or single quotes with Go's escapes, or backticks, raw). Regexes are anchored at both ends and
 * `.` matches a newline too, as Prometheus compiles them (`^(?s:re)$`); they run on JavaScript's engine,
 * which accepts RE2's syntax except the few constructs refused below. A label a group does not have has the
 * empty value. As in Prometheus's `match[]`, a selector must have at least one matcher that does not match
 * the empty string, so `{}` or `{job=~".*"}` alone is refused: no match[] at all is how "every group" is said.
 */
import { SelectorError } from '../errors.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled for `=~` and `!~`. */
  regex?: RegExp;
}

/** A parsed selector: every matcher must hold. */
export interface Selector {
  text: string;
  matchers: Matcher[];
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const MAX_SELECTOR_LENGTH = 64 * 1024;

export function matches(m: Matcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.regex!.test(value);
    case '!~':
      return !m.regex!.test(value);
  }
}

/** Whether grouping labels (absent = empty) satisfy every matcher of the selector. */
export function selects(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  for (const m of selector.matchers) if (!matches(m, labels[m.name] ?? '')) return false;
  return true;
}

/** Whether any of several selectors (several `match[]`, OR-ed) selects the labels; none selects all. */
export function selectsAny(selectors: readonly Selector[], labels: Readonly<Record<string, string>>): boolean {
  return selectors.length === 0 || selectors.some((s) => selects(s, labels));
}

export function parseSelector(text: string): Selector {
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw new SelectorError(`selector of ${text.length} bytes is over the limit of ${MAX_SELECTOR_LENGTH}`);
  }
  const p = new Parser(text);
  const matchers = p.selector();
  if (matchers.every((m) => matches(m, ''))) {
    throw new SelectorError(`selector ${text} must contain at least one matcher that does not match the empty value`);
  }
  return { text, matchers };
}

class Parser {
  private i = 0;

  constructor(private readonly s: string) {}

  private fail(what: string): never {
    throw new SelectorError(`bad selector ${this.s}: ${what} at character ${this.i + 1}`);
  }

  private space(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  selector(): Matcher[] {
    this.space();
    if (NAME.test(this.s.slice(this.i))) {
      this.fail('a metric name is not a grouping label; write the selector as {label="value", …}');
    }
    if (this.s[this.i] !== '{') this.fail('expected "{"');
    this.i++;
    const out: Matcher[] = [];
    for (;;) {
      this.space();
      if (this.s[this.i] === '}') {
        this.i++;
        break;
      }
      out.push(this.matcher());
      this.space();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === '}') {
        this.i++;
        break;
      }
      this.fail(this.i >= this.s.length ? 'unterminated selector, expected "}"' : 'expected "," or "}"');
    }
    this.space();
    if (this.i < this.s.length) this.fail('unexpected text after "}"');
    return out;
  }

  private matcher(): Matcher {
    const name = NAME.exec(this.s.slice(this.i))?.[0];
    if (name === undefined) this.fail('expected a label name');
    this.i += name.length;
    this.space();
    const op = (['=~', '!~', '!=', '='] as const).find((o) => this.s.startsWith(o, this.i));
    if (op === undefined) this.fail(`expected one of =, !=, =~, !~ after ${name}`);
    this.i += op.length;
    this.space();
    const value = this.string();
    if (op === '=' || op === '!=') return { name, op, value };
    return { name, op, value, regex: compile(value, this.s) };
  }

  /** A PromQL string literal: "…" or '…' with Go's escapes, or `…` raw. */
  private string(): string {
    const q = this.s[this.i];
    if (q !== '"' && q !== "'" && q !== '`') this.fail('expected a quoted value');
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated quoted value');
      const c = this.s[this.i++]!;
      if (c === q) return out;
      if (q === '`' || c !== '\\') {
        if (c === '\n' && q !== '`') this.fail('newline in a quoted value');
        out += c;
        continue;
      }
      out += this.escape(q);
    }
  }

  private escape(q: string): string {
    const c = this.s[this.i++];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (c === undefined) this.fail('unterminated escape');
    if (c === '\\' || c === q) return c;
    if (simple[c] !== undefined) return simple[c];
    const hexDigits = { x: 2, u: 4, U: 8 }[c as 'x' | 'u' | 'U'];
    if (hexDigits !== undefined) {
      const h = this.s.slice(this.i, this.i + hexDigits);
      if (!new RegExp(`^[0-9a-fA-F]{${hexDigits}}$`).test(h)) this.fail(`bad \\${c} escape`);
      this.i += hexDigits;
      const cp = Number.parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) this.fail(`bad \\${c} escape`);
      return String.fromCodePoint(cp);
    }
    if (c >= '0' && c <= '7') {
      const o = this.s.slice(this.i - 1, this.i + 2);
      if (!/^[0-7]{3}$/.test(o) || Number.parseInt(o, 8) > 255) this.fail('bad octal escape');
      this.i += 2;
      return String.fromCharCode(Number.parseInt(o, 8));
    }
    this.fail(`unknown escape \\${c}`);
  }
}

/** RE2 constructs JavaScript reads differently or not at all, refused rather than silently misread. */
const RE2_ONLY = [
  { re: /\(\?P?</, what: 'named groups' },
  { re: /\\[zAQE]|\[\[:/, what: 'RE2-only escapes and classes (\\z, \\A, \\Q…\\E, [[:alpha:]])' },
  { re: /\(\?[imsU-]+[):]/, what: 'inline flags' },
  { re: /\(\?[=!<]/, what: 'lookaround (not in RE2)' },
  { re: /\\[1-9]/, what: 'backreferences (not in RE2)' },
];

/**
 * Whether a quantified group holds a quantifier or an alternation (`(a+)+`, `(a|aa)*`): JavaScript's
 * backtracking engine can take exponential time on those, where Prometheus's RE2 is linear, so one selector
 * could hold the event loop. Refused instead.
 */
function nestedQuantifier(source: string): boolean {
  const open: boolean[] = []; // per open group: does it hold a quantifier or `|`?
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') open.push(false);
    else if ((c === '*' || c === '+' || c === '?' || c === '{' || c === '|') && open.length > 0) {
      open[open.length - 1] = true;
    } else if (c === ')') {
      const risky = open.pop() ?? false;
      const next = source[i + 1];
      if (risky && (next === '*' || next === '+' || next === '{')) return true;
      if (risky && open.length > 0) open[open.length - 1] = true;
    }
  }
  return false;
}

function compile(source: string, selector: string): RegExp {
  for (const { re, what } of RE2_ONLY) {
    if (re.test(source)) throw new SelectorError(`bad selector ${selector}: regex ${source} uses ${what}`);
  }
  if (nestedQuantifier(source)) {
    throw new SelectorError(
      `bad selector ${selector}: regex ${source} repeats a group that holds a repetition or an alternation, ` +
        'which can take exponential time here (write it without the nesting)',
    );
  }
  try {
    return new RegExp(`^(?:${source})$`, 'su');
  } catch (err) {
    throw new SelectorError(`bad selector ${selector}: regex ${source}: ${(err as Error).message}`);
  }
}
