// Characters that one of our stores cannot hold: PostgreSQL refuses U+0000 in text and jsonb, and a lone
// UTF-16 surrogate (half of a pair, written alone) in jsonb; an event carrying one was accepted, then
// dead-lettered by that store. They become U+FFFD, the replacement character, as a UTF-8 decoder
// writes for bytes it cannot read: the rest of the text keeps its meaning.

const REPLACEMENT = '\ufffd';

/** ES2024's String methods, which Node 20 has and the ES2022 library this project compiles against does not declare. */
interface Es2024String {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `text` with NUL and lone surrogates replaced by U+FFFD; the same string when it has none (the usual case, checked natively). */
export function wellFormed(text: string): string {
  const s = text as unknown as Es2024String;
  if (s.isWellFormed() && !text.includes('\u0000')) return text;
  return s.toWellFormed().replaceAll('\u0000', REPLACEMENT);
}

const HIGH = /^d[89ab]/i;
const LOW = /^d[c-f]/i;

/**
 * JSON text (valid, as scanned) with every `\u0000` escape and every escaped lone surrogate written as
 * `\ufffd`; a surrogate pair written as two escapes is kept. Only escapes are looked at: JSON text read
 * from UTF-8 cannot hold a raw NUL (a control character) or a raw lone surrogate.
 */
export function cleanJsonEscapes(text: string): string {
  let out = '';
  let copied = 0;
  for (let i = text.indexOf('\\'); i >= 0 && i < text.length; i = text.indexOf('\\', i)) {
    if (text.charCodeAt(i + 1) !== 117 /* u */) {
      i += 2; // \" \\ \n and the like: the next character is not an escape of its own
      continue;
    }
    const hex = text.slice(i + 2, i + 6);
    let bad = hex === '0000';
    if (HIGH.test(hex)) {
      const pairs = text.charCodeAt(i + 6) === 92 && text.charCodeAt(i + 7) === 117 && LOW.test(text.slice(i + 8, i + 12));
      if (pairs) {
        i += 12;
        continue;
      }
      bad = true;
    } else if (LOW.test(hex)) {
      bad = true;
    }
    if (bad) {
      out += `${text.slice(copied, i)}\\ufffd`;
      copied = i + 6;
    }
    i += 6;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
