// The compliance dashboard in a real headless Chromium: no console errors, nothing fetched, the counts visible,
// the trend chart drawn, hostile evidence (`<script>`, attribute breakers) shown as text, the CSP in force; a
// screenshot is kept in test-artifacts/. Needs Debian's `chromium` (apt-get install chromium).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComplianceNetworkFinding, RunSummary } from '../../client/compliance-protocol.js';
import { assess, riskCounts, statusCounts } from '../../daemon/compliance/assess.js';
import { loadCatalog } from '../../daemon/compliance/catalog.js';
import { complianceConfigSchema } from '../../daemon/compliance/config.js';
import { renderDashboard } from '../../daemon/compliance/dashboard.js';
import { CHROMIUM, hasChromium, withPage } from '../helpers/chromium.js';
import { compliantEvidence, NOW, portFinding, withoutSource, withSource } from '../helpers/compliance-evidence.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { tempDirs } from '../helpers/tmp.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const dirs = tempDirs('ocsec-dash-');
afterEach(() => dirs.cleanup());

const HOSTILE = '<script>document.title="pwned"</script>"><img src=x onerror=alert(1)>';
const iso = (ms: number) => new Date(ms).toISOString();

function hostileDashboard(): { html: string; counts: Record<string, number> } {
  let e = withSource(compliantEvidence(), 'settings', (s) => void ((s.idleTimeoutMinutes = 45), (s.configPath = `/home/alice/${HOSTILE}/ocsec.json`)));
  e = withSource(e, 'ports', (s) => void s.report.findings.push(portFinding({ type: 'public-bind', host: '0.0.0.0', bind_scope: 'wildcard', command: HOSTILE, why: `bound by ${HOSTILE}` })));
  e = withSource(e, 'factors', (f) => void (f.totp = false));
  e = withoutSource(e, 'backups', `cannot read ${HOSTILE}`);
  const { results } = assess(e, { catalog: loadCatalog(), config: complianceConfigSchema.parse({}), waivers: [], openItems: new Map(), monotonic: () => 0 });
  const counts = statusCounts(results);
  const run = (id: number, at: number, c = counts): RunSummary => ({ runId: id, trigger: 'scheduled', startedAt: iso(at), finishedAt: iso(at), durationMs: 42, cpuMs: 30, statusCounts: c, riskCounts: riskCounts(results) });
  const trend = [run(12, NOW), run(11, NOW - 3_600_000, { ...counts, violation: 5, compliant: counts.compliant - 3 }), run(10, NOW - 7_200_000, { ...counts, partial: 9, compliant: counts.compliant - 7 })];
  const network: ComplianceNetworkFinding[] = [
    { monitor: 'ports', type: 'public-bind', severity: 'medium', protocol: 'tcp', port: 8080, bind: '0.0.0.0', remote: null, process: HOSTILE, pid: 5150, user: 'alice', why: `bound by ${HOSTILE}`, recommendation: 'bind it to 127.0.0.1', first_seen: iso(NOW - 60_000), occurrences: 2 },
    { monitor: 'egress', type: 'unapproved-egress', severity: 'medium', protocol: 'tcp', port: 443, bind: null, remote: 'exfil.example (192.0.2.9)', process: 'curl', pid: 77, user: 'alice', why: 'no rule allows it', recommendation: 'ocsecctl egress allow --host exfil.example --port 443', first_seen: iso(NOW), occurrences: 1 },
  ];
  return { html: renderDashboard({ system: 'OpenClaw', host: 'box', stateDir: '/home/alice/.openclaw', version: '0.1.0', run: trend[0]!, results, trend, networkFindings: network }), counts };
}

describe.skipIf(process.platform !== 'linux')('compliance dashboard in headless Chromium', () => {
  it('chromium is installed (Debian package `chromium`; CI installs it)', () => {
    expect(hasChromium(), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  });

  it('renders without console errors or fetches, shows the counts, the trend and hostile evidence as text', async () => {
    const { html, counts } = hostileDashboard();
    const file = join(dirs.make(), 'compliance-dashboard.html');
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    await withPage(url, { width: 1280, height: 2000 }, async (page) => {
      const state = await page.evaluate<{ counts: Record<string, string>; visible: boolean; scripts: number; images: number; title: string; text: string; bars: number; bg: string; csp: string | null }>(`(() => {
        const counts = {};
        for (const el of document.querySelectorAll('#status-counts .kpi')) counts[el.id.replace('count-', '')] = el.querySelector('.n').textContent;
        const box = document.querySelector('#count-violation').getBoundingClientRect();
        return {
          counts,
          visible: box.width > 0 && box.height > 0 && getComputedStyle(document.querySelector('#count-violation')).visibility === 'visible',
          scripts: document.scripts.length,
          images: document.images.length,
          title: document.title,
          text: document.body.innerText,
          bars: document.querySelectorAll('#trend rect').length,
          bg: getComputedStyle(document.body).backgroundColor,
          csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
        };
      })()`);
      expect(page.errors).toEqual([]);
      expect(page.requests).toEqual([url]);
      expect(page.blocked).toEqual([]);
      expect(state.counts).toEqual(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)])));
      expect(Number(state.counts.violation)).toBeGreaterThan(0);
      expect(state.visible).toBe(true);
      // The stylesheet is allowed by its hash: the page is styled, so the CSP let exactly it through.
      expect(state.bg).toBe('rgb(243, 245, 248)');
      expect(state.csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src 'none'; script-src 'none'/);
      // Hostile strings are text: no script ran, no element was injected, and the text is readable as written.
      expect(state.scripts).toBe(0);
      expect(state.images).toBe(0);
      expect(state.title).not.toBe('pwned');
      expect(state.text).toContain(HOSTILE);
      expect(state.text).toMatch(/exfil\.example \(192\.0\.2\.9\)/);
      expect(state.text).toMatch(/tcp 0\.0\.0\.0:8080/);
      expect(state.bars).toBeGreaterThanOrEqual(9);
      const png = await page.screenshot();
      expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(png.length).toBeGreaterThan(20_000);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'compliance-dashboard.png'), png);
    });
  });

  it('the error collection works: an injected fetch is blocked by the CSP and reported', async () => {
    const { html } = hostileDashboard();
    const file = join(dirs.make(), 'tampered.html');
    writeFileSync(file, html.replace('<body>', '<body><img src="http://127.0.0.1:9/pixel.png">'));
    await withPage(pathToFileURL(file).href, { width: 800, height: 600 }, async (page) => {
      await page.evaluate('1');
      expect(page.errors.join('\n')).toMatch(/Content Security Policy/);
      expect(page.blocked).toEqual([{ url: 'http://127.0.0.1:9/pixel.png', reason: 'csp' }]);
    });
  });

  it('the dashboard a real run writes renders cleanly too', async () => {
    const home = dirs.make();
    const t = await startTestDaemon({
      env: { HOME: home, PATH: '/usr/bin:/bin' },
      host: { uid: 1000, listSudo: async () => ({ code: 1, stdout: '', stderr: 'sudo: a password is required' }) },
      network: { dns: { lookup: async () => [], reverse: async () => [] } },
      compliance: { run: async () => ({ ok: false, missing: true, code: null, stdout: '', stderr: '' }), home },
    });
    try {
      const r = await t.client.call('compliance.run');
      const html = readFileSync(r.outputs.dashboard, 'utf8');
      expect(html).toContain(`run #${r.run.runId}`);
      await withPage(pathToFileURL(r.outputs.dashboard).href, { width: 1280, height: 1600 }, async (page) => {
        const violations = await page.evaluate<string>(`document.querySelector('#count-violation .n').textContent`);
        expect(page.errors).toEqual([]);
        expect(Number(violations)).toBe(r.run.statusCounts.violation);
        const png = await page.screenshot();
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(join(ARTIFACTS, 'compliance-dashboard-live.png'), png);
      });
    } finally {
      await t.stop();
    }
  });
});
