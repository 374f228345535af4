/** Makes untrusted text inert on a terminal: control characters (ANSI escapes, CR, NUL) are shown, not obeyed. */

// C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f, which include CSI).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function inert(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One line: newlines and tabs become visible too, so a value cannot fake a second log line. */
export function inertLine(text: string): string {
  return inert(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
