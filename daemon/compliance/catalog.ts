/** The controls catalog, policies/compliance-controls.json: each check's title, ISO 27001:2022 and NIST mappings, default risk and owner, and what compliant means. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatProblem, parseJsonText } from '../json-file.js';
import { defaultPoliciesDir } from '../policy/risk.js';
import { CHECK_IDS, RISKS, type CheckId } from './check-ids.js';

/** ISO/IEC 27001:2022 Annex A: themes 5 (organizational) to 8 (technological). */
const iso27001 = z.string().regex(/^A\.(5\.([1-9]|[12]\d|3[0-7])|6\.[1-8]|7\.([1-9]|1[0-4])|8\.([1-9]|[12]\d|3[0-4]))$/, 'an ISO/IEC 27001:2022 Annex A control such as "A.8.2"');
/** NIST CSF 2.0 subcategories: FUNCTION.CATEGORY-NN. */
const nistCsf = z.string().regex(/^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$/, 'a NIST CSF 2.0 subcategory such as "PR.AA-05"');
/** NIST SP 800-53 Rev. 5 controls and enhancements. */
const nist80053 = z.string().regex(/^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$/, 'a NIST SP 800-53 control such as "AC-6(9)"');

export const controlSchema = z.strictObject({
  check_id: z.enum(CHECK_IDS),
  title: z.string().min(1).max(200),
  iso27001: z.array(iso27001).min(1),
  nist_csf: z.array(nistCsf).min(1),
  nist_800_53: z.array(nist80053).optional(),
  default_risk: z.enum(RISKS),
  default_owner: z.string().min(1).max(200),
  expected_state: z.string().min(1),
  rationale: z.string().min(1),
});

export const catalogSchema = z.array(controlSchema).superRefine((controls, ctx) => {
  const seen = new Set<string>();
  controls.forEach((c, i) => {
    if (seen.has(c.check_id)) ctx.addIssue({ code: 'custom', path: [i, 'check_id'], message: `${c.check_id} is listed twice` });
    seen.add(c.check_id);
  });
  // Every check the daemon runs needs its mapping, and a mapping without a check would be reported as never assessed.
  const missing = CHECK_IDS.filter((id) => !seen.has(id));
  if (missing.length > 0) ctx.addIssue({ code: 'custom', path: [], message: `checks without an entry: ${missing.join(', ')}` });
});

export type Control = z.output<typeof controlSchema>;
export type Catalog = ReadonlyMap<CheckId, Control>;

export function defaultCatalogPath(): string {
  return join(defaultPoliciesDir(), 'compliance-controls.json');
}

/** Reads and validates the catalog; throws with file:line:column: field when it is wrong (the daemon does not start on it). */
export function loadCatalog(path = defaultCatalogPath()): Catalog {
  const loaded = parseJsonText(path, readFileSync(path, 'utf8'), catalogSchema);
  if (!loaded.ok) throw new Error(`invalid controls catalog: ${formatProblem(loaded.problem)}`);
  return new Map(loaded.value.map((c) => [c.check_id, c]));
}
