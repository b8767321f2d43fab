import { afterAll, beforeAll, expect, test } from 'vitest';
import { frameworkSession, functionLog, request, type FrameworkSession, type Deployed } from '/work/wt/fn-frameworks/tests/integration/frameworks/harness.ts';
let s: FrameworkSession; let app: Deployed;
beforeAll(async () => { s = await frameworkSession(); app = await s.deploy(process.env.FIX!, { GREETING: { value: 'g' } }); }, 600_000);
afterAll(() => s?.close());
test('debug', async () => {
  for (const p of (process.env.PATHS ?? '/').split(',')) {
    const r = await request(s.platform.edge, app.host, p, { headers: { accept: 'text/html' } });
    console.log('RESULT', p, r.status, JSON.stringify(r.headers), r.body.slice(0, 300));
  }
  await new Promise((r) => setTimeout(r, 3000));
  console.log('LOGS\n' + await functionLog(s.c, app.id));
}, 120_000);
