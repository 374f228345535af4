// The secure path the launcher records at install and the shim trusts only when no one but root can change it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSecurePath, trustedSecurePath } from '../../client/real-sudo.js';
import { renderLauncher } from '../../client/shim-install.js';

const own = mkdtempSync(join(tmpdir(), 'ocsec-sp-'));
afterAll(() => rmSync(own, { recursive: true, force: true }));

describe('trustedSecurePath', () => {
  it.each<[string, string | undefined, readonly string[] | null]>([
    ['unset', undefined, null],
    ['empty (not visible at install)', '', null],
    ['root-owned system directories', '/usr/sbin:/usr/bin:/bin', ['/usr/sbin', '/usr/bin', '/bin']],
    ['a relative entry', '/usr/bin:.', null],
    ['a world-writable directory', '/usr/bin:/tmp', null],
    ['a missing directory is left out of the search (Ubuntu lists /snap/bin)', '/usr/bin:/nonexistent-ocsec', ['/usr/bin']],
    ['only missing directories', '/nonexistent-ocsec', null],
  ])('%s', (_name, value, expected) => {
    expect(trustedSecurePath(value)).toEqual(expected);
  });

  it.runIf(process.getuid?.() === 0)('refuses a directory owned by someone other than root', async () => {
    const { chownSync } = await import('node:fs');
    chownSync(own, 65534, 65534);
    expect(trustedSecurePath(`/usr/bin:${own}`)).toBeNull();
  });
});

describe('the launcher pins the secure path read at install', () => {
  it('writes it, or an empty value that makes the shim use the default', () => {
    const base = { node: '/usr/bin/node', shim: '/opt/ocsec/ocsec-sudo.cjs', socket: '/s/run/ocsecd.sock', binDir: '/s/bin' };
    expect(renderLauncher({ ...base, securePath: ['/usr/sbin', '/usr/bin'] })).toContain("OCSEC_SECURE_PATH='/usr/sbin:/usr/bin'\n");
    expect(renderLauncher({ ...base, securePath: null })).toContain("OCSEC_SECURE_PATH=''\n");
    expect(renderLauncher({ ...base, securePath: null })).toContain('export OCSEC_SOCKET OCSEC_SHIM_DIR OCSEC_SECURE_PATH');
  });

  it.runIf(process.getuid?.() === 0)("reads the real sudo's secure_path when run as root", () => {
    const path = readSecurePath('/usr/bin/sudo');
    expect(path).not.toBeNull();
    expect(path).toContain('/usr/bin');
  });
});
