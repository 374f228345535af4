/** uid → user name from /etc/passwd, re-read only when the file changes; a uid it does not list is shown as the number. */
import { readFileSync, statSync } from 'node:fs';

export class UserNames {
  private names = new Map<number, string>();
  private stamp: string | null = null;

  constructor(private readonly passwdPath = '/etc/passwd') {}

  /** Re-reads the file if its size or mtime changed since the last call; cheap to call once per sample. */
  refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.passwdPath);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    this.names = new Map();
    if (stamp === 'missing') return;
    try {
      for (const line of readFileSync(this.passwdPath, 'utf8').split('\n')) {
        const [name, , uid] = line.split(':');
        if (name && uid && /^\d+$/.test(uid) && !this.names.has(Number(uid))) this.names.set(Number(uid), name);
      }
    } catch {
      // Unreadable passwd: names fall back to numbers, which is still correct, only less friendly.
    }
  }

  nameOf(uid: number | null): string | null {
    if (uid === null) return null;
    return this.names.get(uid) ?? String(uid);
  }
}
