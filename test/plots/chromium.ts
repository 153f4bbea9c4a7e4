// Headless Debian chromium for HTML tests, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: no port, no extra package). Every request the page makes is
// recorded (Network.requestWillBeSent) — chromium's own background traffic is not the
// page's and is not counted — and no host name resolves, so nothing leaves the machine.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

export interface ChromiumPage {
  /** document.documentElement.outerHTML once the page is ready. */
  dom: string;
  /** PNG of the viewport. */
  screenshot: Buffer;
  /** Every URL the page asked for beyond the file itself (file:, data:, blob:, about: excluded). */
  requests: string[];
  /** Value of `waitFor` when it became truthy (or the last value at the timeout). */
  ready: unknown;
  /** Value of the `then` expression, run once the page is ready (e.g. a click, then what changed). */
  after?: unknown;
}

const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-default-apps', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND',
];

export async function openInChromium(file: string, o: { waitFor?: string; then?: string; timeoutMs?: number; width?: number; height?: number } = {}): Promise<ChromiumPage> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-chromium-'));
  const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${path.join(dir, 'profile')}`, '--remote-debugging-pipe', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const out = child.stdio[3] as Writable, inp = child.stdio[4] as Readable;
  let nextId = 0, buffer = '';
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners: ((msg: any) => void)[] = [];
  inp.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${msg.error.message} (${JSON.stringify(msg.error.data ?? '')})`));
        else p.resolve(msg.result);
      } else listeners.forEach((l) => l(msg));
    }
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    out.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
  const timeout = o.timeoutMs ?? 90_000;
  const deadline = Date.now() + timeout;
  const killer = setTimeout(() => child.kill('SIGKILL'), timeout + 10_000);
  try {
    const { targetInfos } = await send('Target.getTargets');
    const page = targetInfos.find((t: { type: string }) => t.type === 'page');
    if (!page) throw new Error(`chromium opened no page: ${stderr.slice(-500)}`);
    const { sessionId } = await send('Target.attachToTarget', { targetId: page.targetId, flatten: true });
    const requests: string[] = [];
    let loaded = false;
    listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      if (msg.method === 'Network.requestWillBeSent') {
        const url: string = msg.params.request.url;
        if (!/^(file|data|blob|about):/.test(url)) requests.push(url);
      }
      if (msg.method === 'Page.loadEventFired') loaded = true;
    });
    await send('Network.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);
    await send('Emulation.setDeviceMetricsOverride', { width: o.width ?? 1400, height: o.height ?? 1200, deviceScaleFactor: 1, mobile: false }, sessionId);
    await send('Page.navigate', { url: `file://${path.resolve(file)}` }, sessionId);
    const evaluate = async (expression: string) => (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result?.value;
    let ready: unknown;
    for (;;) {
      if (loaded) {
        ready = o.waitFor ? await evaluate(o.waitFor) : true;
        if (ready) break;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!o.waitFor) await new Promise((r) => setTimeout(r, 500)); // late subresources of a plain page
    const dom = String(await evaluate('document.documentElement.outerHTML'));
    const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
    const after = o.then ? await evaluate(o.then) : undefined;
    await send('Browser.close').catch(() => undefined);
    return { dom, screenshot: Buffer.from(shot.data, 'base64'), requests, ready, after };
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
