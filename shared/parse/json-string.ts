/**
 * `JSON.stringify(text)`, faster for the short plain strings most log keys and values are: a string
 * with no quote, backslash or control character is written as it is between quotes without calling
 * into the JSON serializer, which costs more than the look does. (A string decoded from UTF-8 holds no
 * lone surrogate, the only other thing JSON.stringify escapes; one that does is escaped all the same.)
 */
export function jsonString(text: string): string {
  if (text.length > 64) return JSON.stringify(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}
