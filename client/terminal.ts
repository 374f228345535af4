/** Makes untrusted text inert on a terminal: control characters (ANSI escapes, CR, NUL) are shown, not obeyed. */

// C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f, which include CSI).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Invisible or reordering characters: zero-width and directional marks (200B-200F), line/paragraph separators
// (2028-2029), bidi embeddings and overrides (202A-202E), bidi isolates (2066-2069) and the BOM (FEFF). An argv word
// or a reason carrying them could hide text or visually reorder an approval prompt.
const INVISIBLE = /[\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

export function inert(text: string): string {
  return text
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(INVISIBLE, (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase()}}`);
}

/** One line: newlines and tabs become visible too, so a value cannot fake a second log line. */
export function inertLine(text: string): string {
  return inert(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
