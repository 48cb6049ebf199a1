// Section 2, truth: one fault proxy per delay D, and the truth worker, to which the harness relays
// each proxy's record of the exchanges (the ground truth).
import type { Harness, R } from '../harness.js';
import type { S3Endpoint } from '../lib.js';

export async function sectionTruth(h: Harness, rgw: S3Endpoint): Promise<R> {
  const delays = h.quick ? [0, 10] : [0, 10, 50, 200];
  const proxies = await Promise.all(delays.map(async (d) => ({ delayMs: d, ...(await h.server('proxy', [rgw.endpoint, String(d)])) })));
  try {
    h.log(`truth: delays ${delays.join(', ')} ms through the fault proxy`);
    const w = h.worker('truth', { rgw, samples: h.quick ? 10 : 100, proxies: proxies.map((p) => ({ delayMs: p.delayMs, url: p.url })) });
    try {
      // after each D's samples the worker asks for that proxy's records (the ground truth), relayed
      // from the proxy process, to join them to its samples
      for (let i = 0; i < proxies.length; i++) {
        const { delayMs } = await w.next<{ delayMs: number }>('proxy-exchanges');
        const p = proxies.find((x) => x.delayMs === delayMs)!;
        p.child.send({ type: 'exchanges' });
        const { type: _t, ...m } = await p.child.next<R>('exchanges', 30_000);
        w.send({ type: 'proxy-exchanges', delayMs, ...m });
      }
      const { type: _t, ...r } = await w.next<R>('result');
      return r;
    } finally {
      await w.stop(10_000);
    }
  } finally {
    await Promise.all(proxies.map((p) => p.child.stop()));
  }
}
