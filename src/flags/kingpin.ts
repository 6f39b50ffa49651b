/**
 * A command-line parser that behaves like kingpin v2.4, the library the reference Pushgateway 1.11 parses
 * its flags with, so that scripts and unit files written for it behave the same here: `--flag=value` and
 * `--flag value`; booleans only as `--flag` / `--no-flag` (kingpin turns `--flag=false` into a stray
 * argument, "unexpected false"); non-repeatable flags given twice are an error; `@file` expands arguments
 * from a file; everything after `--` is a positional argument, and positional arguments are errors.
 * Also kingpin's built-in flags (--help, --help-long, --help-man, the completion flags, --version), its
 * --help layout and its man page. The application's own flags come from the caller's table (cli.ts); this
 * module names none of them.
 */

import { ConfigError } from '../errors.js';
import { goQuote } from '../model/go-quote.js';
import { twoColumns, wrap } from './help-layout.js';

/** What a built-in flag does instead of setting a value. */
export type Action =
  | 'help'
  | 'help-long'
  | 'help-man'
  | 'version'
  | 'completion-bash'
  | 'completion-script-bash'
  | 'completion-script-zsh';

/** One flag. S is the state the application's setters write into. */
export interface Flag<S> {
  name: string;
  help: string;
  /** bool flags take no value and have a --no- form; repeatable flags accumulate. */
  kind: 'bool' | 'value' | 'repeatable';
  short?: string;
  hidden?: boolean;
  /** kingpin's Default(): given to `set` when the flag is absent, and shown after '=' in --help. */
  default?: string;
  /** kingpin quotes the default of a plain String flag in --help (`"/metrics"`, `""`). */
  quoted?: boolean;
  /**
   * A default that depends on the machine or on other flags, run (in table order) when the flag is absent,
   * after every given value and static default. kingpin then shows the name in capitals in --help.
   */
  derive?(state: S): void;
  action?: Action;
  set?(state: S, value: string): void;
}

export interface AppSpec<S> {
  name: string;
  /** The one-line description under the usage line. */
  help: string;
  /** The application's flags, in the order --help lists them (kingpin lists flags in definition order). */
  flags: readonly Flag<S>[];
  /** The version printed in the man page's title line. */
  version: () => string;
}

export type ParseOutcome<S> = { kind: 'run'; state: S } | { kind: 'help'; text: string } | { kind: 'version' };

/** kingpin's own flags, which it defines before the application's. */
const BUILT_IN_FLAGS: readonly Flag<unknown>[] = [
  {
    name: 'help',
    short: 'h',
    kind: 'bool',
    action: 'help',
    help: 'Show this help (see also --help-long and --help-man).',
  },
  { name: 'help-long', kind: 'bool', hidden: true, action: 'help-long', help: 'Show the long help.' },
  { name: 'help-man', kind: 'bool', hidden: true, action: 'help-man', help: 'Print a man page.' },
  {
    name: 'completion-bash',
    kind: 'bool',
    hidden: true,
    action: 'completion-bash',
    help: 'List completions for the given arguments.',
  },
  {
    name: 'completion-script-bash',
    kind: 'bool',
    hidden: true,
    action: 'completion-script-bash',
    help: 'Print a bash completion script.',
  },
  {
    name: 'completion-script-zsh',
    kind: 'bool',
    hidden: true,
    action: 'completion-script-zsh',
    help: 'Print a zsh completion script.',
  },
];

/** kingpin.Version() adds this one after the application's flags. */
const VERSION_FLAG: Flag<unknown> = {
  name: 'version',
  kind: 'bool',
  action: 'version',
  help: 'Show version and build information.',
};

type Token = { type: 'long' | 'short' | 'arg' | 'error'; value: string };

interface Element<S> {
  flag: Flag<S>;
  value: string;
}

export class KingpinApp<S> {
  /** Built-in flags, the application's, then --version: the order of --help. */
  readonly flags: readonly Flag<S>[];
  private readonly byLong: Map<string, Flag<S>>;
  private readonly byShort: Map<string, Flag<S>>;

  constructor(private readonly spec: AppSpec<S>) {
    this.flags = [...(BUILT_IN_FLAGS as readonly Flag<S>[]), ...spec.flags, VERSION_FLAG as Flag<S>];
    this.byLong = new Map(this.flags.map((f) => [f.name, f]));
    this.byShort = new Map(this.flags.filter((f) => f.short !== undefined).map((f) => [f.short!, f]));
  }

  /**
   * Parses the arguments after the program name into `state`. Precedence is kingpin's: completion, then
   * the first of --version / --help-long / --help-man / completion scripts (even when other arguments are
   * bad), then parse errors, then --help, then bad values. Throws ConfigError whose message is everything
   * after "<app>: error: ".
   */
  parse(argv: readonly string[], state: S, readArgsFile: (path: string) => string, width = 80): ParseOutcome<S> {
    const { elements, error: parseError } = this.collectFlags(this.tokenize(argv, readArgsFile));
    const valueError = applyValues(elements, state);
    // The first one: a second is refused as a repeat before it is applied.
    const completion = elements.find((e) => e.flag.action === 'completion-bash');
    if (completion?.value === 'true') return { kind: 'help', text: this.completionText() };
    for (const { flag } of elements) {
      if (flag.action === 'version') return { kind: 'version' };
      if (flag.action !== undefined && flag.action !== 'help' && flag.action !== 'completion-bash') {
        return { kind: 'help', text: this.actionText(flag.action, width) };
      }
    }
    if (parseError !== undefined) throw new ConfigError(`${parseError}, try --help`);
    if (elements.some((e) => e.flag.action === 'help')) return { kind: 'help', text: this.usageText(width) };
    if (valueError !== undefined) throw new ConfigError(`${valueError}, try --help`);
    const given = new Set(elements.map((e) => e.flag));
    const absent = this.flags.filter((f) => !given.has(f));
    const defaultError = applyValues(
      absent.filter((f) => f.default !== undefined).map((flag) => ({ flag, value: flag.default! })),
      state,
    );
    if (defaultError !== undefined) throw new ConfigError(`${defaultError}, try --help`);
    for (const flag of absent) flag.derive?.(state);
    return { kind: 'run', state };
  }

  /** Splits argv into kingpin tokens; an unreadable @file ends the stream with an error token. */
  private tokenize(argv: readonly string[], readArgsFile: (path: string) => string): Token[] {
    const queue = [...argv];
    const tokens: Token[] = [];
    let argsOnly = false;
    while (queue.length > 0) {
      const arg = queue.shift()!;
      if (argsOnly) {
        tokens.push({ type: 'arg', value: arg });
      } else if (arg === '--') {
        argsOnly = true;
      } else if (arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        tokens.push({ type: 'long', value: eq === -1 ? arg.slice(2) : arg.slice(2, eq) });
        if (eq !== -1) tokens.push({ type: 'arg', value: arg.slice(eq + 1) });
      } else if (arg.startsWith('-')) {
        if (arg.length === 1) {
          tokens.push({ type: 'arg', value: '' }); // kingpin's quirk: a lone "-" is an empty argument
          continue;
        }
        const short = String.fromCodePoint(arg.codePointAt(1)!);
        const rest = arg.slice(1 + short.length);
        const flag = this.byShort.get(short);
        tokens.push({ type: 'short', value: short });
        if (rest === '') continue;
        if (flag !== undefined && flag.kind !== 'bool')
          tokens.push({ type: 'arg', value: rest }); // -fVALUE
        else queue.unshift(`-${rest}`); // -abc is -a -bc
      } else if (arg.startsWith('@')) {
        const expanded = expandArgsFile(arg.slice(1), readArgsFile);
        if (typeof expanded === 'string') {
          tokens.push({ type: 'error', value: expanded });
          break;
        }
        queue.unshift(...expanded);
      } else {
        tokens.push({ type: 'arg', value: arg });
      }
    }
    return tokens;
  }

  /** kingpin's parse loop: collects flag occurrences up to the first error or stray argument. */
  private collectFlags(tokens: readonly Token[]): { elements: Element<S>[]; error?: string } {
    const elements: Element<S>[] = [];
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i]!;
      if (token.type === 'error') return { elements, error: token.value };
      if (token.type === 'arg') return { elements, error: `unexpected ${token.value}` };
      let flag = token.type === 'long' ? this.byLong.get(token.value) : this.byShort.get(token.value);
      let inverted = false;
      if (flag === undefined && token.type === 'long' && token.value.startsWith('no-')) {
        flag = this.byLong.get(token.value.slice(3));
        inverted = true;
      }
      if (flag === undefined) return { elements, error: `unknown ${token.type} flag '${tokenString(token)}'` };
      i++;
      if (flag.kind === 'bool') {
        elements.push({ flag, value: inverted ? 'false' : 'true' });
        continue;
      }
      if (inverted) return { elements, error: `unknown long flag '${tokenString(token)}'` };
      const next = tokens[i];
      if (next === undefined || next.type !== 'arg') {
        return { elements, error: `expected argument for flag '${tokenString(token)}'` };
      }
      elements.push({ flag, value: next.value });
      i++;
    }
    return { elements };
  }

  // -------------------------------------------------------------------------------------------------
  // Help, man page and completion texts

  private visible(): Flag<S>[] {
    return this.flags.filter((f) => f.hidden !== true);
  }

  /** kingpin's usage layout: flags in two columns, help wrapped to the terminal width. */
  usageText(width = 80): string {
    const rows = this.visible().map((f) => [flagLabel(f), f.help] as const);
    return (
      `usage: ${this.spec.name} [<flags>]\n\n${wrap(this.spec.help, width).join('\n')}\n\nFlags:\n` +
      twoColumns(rows, width) +
      '\n'
    );
  }

  private actionText(action: Action, width: number): string {
    switch (action) {
      case 'help':
      case 'help-long':
        return this.usageText(width);
      case 'help-man':
        return this.manPage();
      case 'completion-bash':
        return this.completionText();
      case 'completion-script-bash':
        return this.bashCompletionScript();
      case 'completion-script-zsh':
        return this.zshCompletionScript();
      case 'version':
        return '';
    }
  }

  manPage(): string {
    const roff = (s: string): string => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');
    const name = this.spec.name;
    let out =
      `.TH ${name} 1 ${this.spec.version()} ""\n.SH "NAME"\n${name}\n` +
      `.SH "SYNOPSIS"\n.TP\n\\fB${name} [<flags>]\\fR\n.SH "DESCRIPTION"\n${this.spec.help}\n.SH "OPTIONS"\n`;
    for (const flag of this.visible()) {
      out += `.TP\n\\fB${roff(flagLabel(flag).trim())}\\fR\n${roff(flag.help)}\n`;
    }
    return out;
  }

  /** What --completion-bash prints: the visible long flags, for the shell to filter. */
  private completionText(): string {
    return `${this.visible()
      .map((f) => `--${f.name}`)
      .join('\n')}\n`;
  }

  private bashCompletionScript(): string {
    const name = this.spec.name;
    const fn = `_${name}_complete`;
    return (
      `${fn}() {\n  local cur="\${COMP_WORDS[COMP_CWORD]}"\n` +
      `  COMPREPLY=( $(compgen -W "$(\${COMP_WORDS[0]} --completion-bash)" -- "\${cur}") )\n}\n` +
      `complete -F ${fn} -o default ${name}\n`
    );
  }

  private zshCompletionScript(): string {
    const name = this.spec.name;
    return (
      `#compdef ${name}\n\n_${name}() {\n  local -a matches\n` +
      `  matches=($(\${words[1]} --completion-bash))\n  compadd -a matches\n}\n\n` +
      `compdef _${name} ${name}\n`
    );
  }
}

function tokenString(t: Token): string {
  if (t.type === 'long') return `--${t.value}`;
  if (t.type === 'short') return `-${t.value}`;
  return t.value;
}

/** kingpin's @file: one argument per line, blank lines and lines starting with '#' skipped. */
function expandArgsFile(path: string, readArgsFile: (path: string) => string): string[] | string {
  if (path === '') return 'expected @ file to expand arguments from';
  let text: string;
  try {
    text = readArgsFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
    return `failed to open arguments file ${goQuote(path)}: open ${path}: ${reason}`;
  }
  return text
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => !l.startsWith('#') && l.trim() !== '');
}

/** Applies values in order; returns kingpin's first setter error, if any. */
function applyValues<S>(elements: readonly Element<S>[], state: S): string | undefined {
  const seen = new Set<string>();
  for (const { flag, value } of elements) {
    if (seen.has(flag.name) && flag.kind !== 'repeatable') return `flag '${flag.name}' cannot be repeated`;
    seen.add(flag.name);
    try {
      flag.set?.(state, value);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
  }
  return undefined;
}

/**
 * kingpin's FormatPlaceHolder: the default (quoted for a plain String flag), else the name in capitals.
 * A repeatable flag gets " ..." after it.
 */
function flagLabel<S>(flag: Flag<S>): string {
  const name = flag.kind === 'bool' ? `[no-]${flag.name}` : flag.name;
  let label = flag.short !== undefined ? `-${flag.short}, --${name}` : `    --${name}`;
  if (flag.kind !== 'bool') {
    const placeholder =
      flag.default === undefined
        ? flag.name.toUpperCase()
        : flag.quoted === true
          ? goQuote(flag.default)
          : flag.default;
    label += `=${placeholder}`;
  }
  if (flag.kind === 'repeatable') label += ' ...';
  return label;
}
