/**
 * kingpin's text layout for --help: greedy word wrap to the terminal width, and the flag list in two
 * columns (labels, then help wrapped beside them).
 */

/** Rows of [label, help] in two columns; help wrapped to what the width leaves after the labels. */
export function twoColumns(rows: ReadonlyArray<readonly [string, string]>, width: number): string {
  const indent = '  ';
  const padding = 2;
  // Labels of 30 characters or more do not widen the column; their help starts on the next line.
  const column = Math.max(0, ...rows.map(([label]) => label.length).filter((n) => n < 30));
  const offset = ' '.repeat(column + padding);
  let out = '';
  for (const [label, help] of rows) {
    const lines = wrap(help, width - column - padding - indent.length);
    out += indent + label.padEnd(column) + ' '.repeat(padding);
    if (label.length >= 30) out += `\n${indent}${offset}`;
    out += `${lines[0]}\n`;
    for (const line of lines.slice(1)) out += `${indent + offset + line}\n`;
  }
  return out;
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}
