// Covers policies/compliance-controls.json and daemon/compliance/catalog.ts: every check mapped, the reference's
// twenty ids kept, mappings well-formed, and a broken catalog refused with file, line and field.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogSchema, defaultCatalogPath, loadCatalog } from '../../daemon/compliance/catalog.js';
import { CHECK_IDS, OCSEC_CHECK_IDS, REFERENCE_CHECK_IDS } from '../../daemon/compliance/check-ids.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-catalog-');
afterEach(() => dirs.cleanup());

const REFERENCE = [
  'privilege_approval_required', 'least_privilege_enforced', 'elevation_timeout_30m', 'audit_logging_privileged_actions', 'open_ports_approved',
  'insecure_ports_remediated', 'channel_allowlist_configured', 'group_mentions_required', 'gateway_loopback_only', 'secrets_permissions_hardened',
  'runtime_privilege_hook_installed', 'alternate_privilege_paths_restricted', 'backup_configured', 'update_hygiene', 'prompt_injection_controls',
  'command_policy_enforced', 'session_boundary_enforced', 'multi_factor_approval', 'egress_allowlist_configured', 'egress_connections_approved',
];

function writeCatalog(entries: unknown): string {
  const file = path.join(dirs.make(), 'compliance-controls.json');
  fs.writeFileSync(file, JSON.stringify(entries, null, 2));
  return file;
}

describe('the shipped controls catalog', () => {
  const catalog = loadCatalog();

  it('keeps all twenty reference check ids and adds ocsec\'s own', () => {
    expect([...REFERENCE_CHECK_IDS]).toEqual(REFERENCE);
    for (const id of [...REFERENCE, 'audit_trail_integrity', 'sudo_nopasswd_absent', 'gateway_path_routes_through_shim', 'daemon_supervised', 'policy_files_valid', 'public_binds_justified']) {
      expect(catalog.has(id as never), id).toBe(true);
    }
    expect(catalog.size).toBe(REFERENCE_CHECK_IDS.length + OCSEC_CHECK_IDS.length);
  });

  it.each([...CHECK_IDS])('%s has a title, ISO 27001:2022 Annex A controls, NIST CSF 2.0 subcategories, risk, owner, expected state and rationale', (id) => {
    const c = catalog.get(id)!;
    expect(c.title.length).toBeGreaterThan(5);
    expect(c.iso27001.length).toBeGreaterThan(0);
    for (const a of c.iso27001) expect(a).toMatch(/^A\.[5-8]\.\d+$/);
    for (const n of c.nist_csf) expect(n).toMatch(/^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$/);
    expect(['low', 'medium', 'high', 'critical']).toContain(c.default_risk);
    expect(c.expected_state.length).toBeGreaterThan(20);
    expect(c.rationale.length).toBeGreaterThan(20);
  });

  it.each<[string, string, string]>([
    ['privilege_approval_required', 'A.8.2', 'PR.AA-05'],
    ['audit_trail_integrity', 'A.8.15', 'PR.PS-04'],
    ['backup_configured', 'A.8.13', 'PR.DS-11'],
    ['update_hygiene', 'A.8.8', 'ID.RA-01'],
    ['multi_factor_approval', 'A.8.5', 'PR.AA-03'],
    ['egress_connections_approved', 'A.8.16', 'DE.CM-01'],
    ['insecure_ports_remediated', 'A.8.21', 'PR.DS-02'],
  ])('%s maps to %s and %s', (id, iso, csf) => {
    expect(catalog.get(id as never)!.iso27001).toContain(iso);
    expect(catalog.get(id as never)!.nist_csf).toContain(csf);
  });

  it('the file is the reference format: a JSON array of controls with check_id and title', () => {
    const raw = JSON.parse(fs.readFileSync(defaultCatalogPath(), 'utf8')) as Array<Record<string, unknown>>;
    expect(Array.isArray(raw)).toBe(true);
    for (const c of raw) expect(Object.keys(c)).toEqual(expect.arrayContaining(['check_id', 'title', 'iso27001', 'default_risk', 'expected_state']));
  });
});

describe('a broken catalog is refused', () => {
  const good = () => JSON.parse(fs.readFileSync(defaultCatalogPath(), 'utf8')) as Array<Record<string, unknown>>;

  it.each<[string, (c: Array<Record<string, unknown>>) => unknown, RegExp]>([
    ['a check listed twice', (c) => [...c, c[0]], /privilege_approval_required is listed twice/],
    ['a check missing', (c) => c.filter((x) => x.check_id !== 'backup_configured'), /checks without an entry: backup_configured/],
    ['an ISO 27001:2013 control id', (c) => (c[0]!.iso27001 = ['A.9.2.3'], c), /\[0\]\.iso27001\[0\]: an ISO\/IEC 27001:2022 Annex A control/],
    ['a NIST CSF 1.1 id', (c) => (c[1]!.nist_csf = ['PR.AC-4'], c), /\[1\]\.nist_csf\[0\]: a NIST CSF 2\.0 subcategory/],
    ['an unknown check id', (c) => (c[2]!.check_id = 'made_up', c), /\[2\]\.check_id/],
    ['an unknown key', (c) => (c[0]!.nist = ['PR.AA-05'], c), /Unrecognized key/],
  ])('%s', (_name, mutate, message) => {
    const file = writeCatalog(mutate(good()));
    expect(() => loadCatalog(file)).toThrow(message);
    expect(() => loadCatalog(file)).toThrow(new RegExp(`^invalid controls catalog: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
  });

  it('the schema accepts the shipped file', () => {
    expect(catalogSchema.safeParse(good()).success).toBe(true);
  });
});
