// The status page in headless Chromium, served by the real exporter against RGW: it renders
// without a script or any request beyond the exporter, each target's waterfall has one row per
// operation of its last cycle (as the API lists them) and a bar per operation measured, a failed
// operation shows its reason; a screenshot is kept in .work/artifacts/status-page.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { StatusV1 } from '../../src/server/status-schema.js';
import { launchChromium, type Browser } from '../support/browser.js';
import type { Exporter } from '../support/exporter.js';
import { REPO_ROOT } from '../support/rgw.js';
import { startStatusExporter } from '../support/status.js';

const ARTIFACTS = join(REPO_ROOT, '.work/artifacts');

describe('status page in Chromium', () => {
  let exp: Exporter;
  let browser: Browser;
  let page: Page;
  let status: StatusV1;
  const requested: string[] = [];

  before(async () => {
    exp = await startStatusExporter('stpage', 'wrong-secret-page-7f6e');
    status = (await (await fetch(`${exp.url}/api/v1/status`)).json()) as StatusV1;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    const r = await page.goto(`${exp.url}/`, { waitUntil: 'load' });
    assert.equal(r?.status(), 200);
  });

  after(async () => {
    await browser?.close();
    await exp?.stop();
  });

  test('renders from the exporter alone, with no script', async () => {
    assert.equal(await page.title(), 's3prober');
    assert.equal(await page.locator('script').count(), 0);
    assert.ok(requested.length >= 1);
    for (const u of requested) assert.ok(u.startsWith(`${exp.url}/`), `requested ${u}`);
  });

  test('each target: a row per operation of its last cycle, a bar per operation measured', async () => {
    for (const t of status.targets) {
      const cycle = t.probes[0]!.lastCycle!;
      const section = page.locator('section.target').filter({ has: page.getByRole('heading', { name: t.name, exact: true }) });
      const rows = section.locator('svg.waterfall g.op');
      assert.deepEqual(await rows.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-operation'))), cycle.operations.map((o) => o.operation), t.name);
      const bars = section.locator('svg.waterfall rect.bar');
      assert.equal(await bars.count(), cycle.operations.filter((o) => o.durationSeconds !== undefined).length, t.name);
      for (const box of await bars.evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width))) assert.ok(box > 0, `${t.name}: a bar drawn ${box} px wide`);
      // each row says in words what it draws
      for (const [i, o] of cycle.operations.entries()) {
        const label = (await rows.nth(i).getAttribute('aria-label')) ?? '';
        assert.ok(label.startsWith(`${o.operation}${o.size ? ` ${o.size}` : ''}: ${o.outcome}`), label);
      }
    }
  });

  test('a failed operation shows its reason beside its bar', async () => {
    const bad = status.targets.find((t) => t.name === 'badkey')!.probes[0]!.lastCycle!;
    const failed = bad.operations.find((o) => o.outcome === 'failure')!;
    assert.equal(failed.reason, 'auth');
    const row = page.locator('section.target').filter({ has: page.getByRole('heading', { name: 'badkey', exact: true }) })
      .locator(`svg.waterfall g.op[data-operation="${failed.operation}"]`).first();
    assert.match((await row.locator('text.reason').textContent()) ?? '', /auth, HTTP 403/);
    assert.equal(await row.getAttribute('data-outcome'), 'failure');
  });

  test('the good target\'s bars are split into the kernel\'s phases, listed in the legend', async () => {
    const section = page.locator('section.target').filter({ has: page.getByRole('heading', { name: 'good', exact: true }) });
    const phases = new Set(await section.locator('svg.waterfall rect.seg').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-phase'))));
    for (const p of ['server', 'transfer']) assert.ok(phases.has(p), `${p} in ${[...phases]}`);
    const legend = await section.locator('ul.legend span.sw').evaluateAll((ss) => ss.map((s) => s.className));
    for (const p of phases) assert.ok(legend.includes(`sw p-${p}`), `${p} in the legend`);
  });

  test('a screenshot is kept as an artefact', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  });
});
