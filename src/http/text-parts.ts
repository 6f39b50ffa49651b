/**
 * A big text body built bit by bit, as UTF-8 buffers of about 64 KiB: no single string has to hold a
 * response of hundreds of MB, and each conversion stays short.
 */
const PART_CHARS = 1 << 16;

export class TextParts {
  private readonly parts: Buffer[] = [];
  private text = '';

  add(s: string): void {
    this.text += s;
    if (this.text.length >= PART_CHARS) this.cut();
  }

  /** The body so far, as parts to write in order. */
  finish(): Buffer[] {
    this.cut();
    return this.parts;
  }

  private cut(): void {
    if (this.text === '') return;
    this.parts.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
}
