/**
 * The client side of bench:api, forked by bench/api.ts so that the clients' parsing does
 * not compete with the server it measures. It waits for commands on the IPC channel
 * (protocol.ts) and exits when the channel closes. Nothing is written to stdout: the
 * parent's last stdout line is the report.
 *
 * An event's latency is its arrival (one timestamp per socket read) minus the publish
 * time the payload carries (`t`). The streams are read with a bare HTTP/1.1 reader
 * (sse-socket.ts) and frames are not fully parsed, only `i` and `t` are read, to keep
 * the clients cheap: on 2 cores they share the machine with the server.
 */
import { Agent, request } from 'node:http';
import { nowMs, type FromClients, type ToClients } from './protocol.js';
import { openSseSocket } from './sse-socket.js';

function send(msg: FromClients): void {
  process.send?.(msg);
}

/** A growable Float64Array: a million samples without a million boxed numbers. */
class Samples {
  private buf = new Float64Array(1 << 16);
  private n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  get length(): number {
    return this.n;
  }
  take(): Float64Array {
    return this.buf.slice(0, this.n);
  }
}

function getOnce(agent: Agent, url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function workers(base: string, tokens: readonly string[], requests: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const lat = new Samples();
  let failures = 0;
  const t0 = nowMs();
  for (let i = 0; i < requests; i++) {
    const s = nowMs();
    const status = await getOnce(agent, `${base}/api/v1/workers`, tokens[i % tokens.length] as string);
    lat.push(nowMs() - s);
    if (status !== 200) failures++;
  }
  const elapsedMs = nowMs() - t0;
  agent.destroy();
  send({ type: 'workers-done', latencies: lat.take(), elapsedMs, failures });
}

/**
 * The non-negative number after `key` in `text`, searching from `from` (NaN when absent),
 * read in place: no substring per frame.
 */
function numberAfter(text: string, key: string, from: number): number {
  const at = text.indexOf(key, from);
  if (at === -1) return Number.NaN;
  let i = at + key.length;
  let n = 0;
  let c = text.charCodeAt(i);
  if (c < 48 || c > 57) return Number.NaN;
  for (; c >= 48 && c <= 57; c = text.charCodeAt(++i)) n = n * 10 + (c - 48);
  if (c !== 46) return n; // '.'
  let scale = 0.1;
  for (c = text.charCodeAt(++i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
    n += (c - 48) * scale;
    scale /= 10;
  }
  return n;
}

interface Streams {
  close(): void;
  result(): FromClients;
}

function openStreams(base: string, path: string, tokens: readonly string[], expected: number): Promise<Streams> {
  const lat = new Samples();
  let received = 0;
  let gaps = 0;
  let duplicates = 0;
  let complete = 0;
  let live = 0;
  let cpu = process.cpuUsage();
  const reqs: Array<{ destroy(): void }> = [];
  return new Promise((resolve, reject) => {
    const oneLive = (): void => {
      live++;
      if (live === tokens.length) {
        cpu = process.cpuUsage();
        resolve({
          close: () => {
            for (const r of reqs) r.destroy();
          },
          result: () => {
            const used = process.cpuUsage(cpu);
            return { type: 'sse-result', latencies: lat.take(), received, gaps, duplicates, cpuMs: (used.user + used.system) / 1000 };
          },
        });
      }
    };
    for (const token of tokens) {
      let rest = '';
      let isLive = false;
      let mine = 0;
      let lastI = -1;
      const onText = (chunk: string, at: number): void => {
        const text = rest === '' ? chunk : rest + chunk;
        let start = 0;
        let cut: number;
        while ((cut = text.indexOf('\n\n', start)) !== -1) {
          if (text.startsWith('event: bench.', start)) {
            const payload = text.indexOf('"payload":', start);
            const i = numberAfter(text, '"i":', payload);
            lat.push(at - numberAfter(text, '"t":', payload));
            received++;
            if (i <= lastI) duplicates++;
            else lastI = i;
            if (++mine === expected && ++complete === tokens.length) send({ type: 'sse-complete' });
          } else if (text.startsWith('event: gap', start)) {
            gaps++;
          } else if (!isLive && text.startsWith('id: ', start)) {
            // the start cursor: the stream is subscribed and its cursor fixed
            isLive = true;
            oneLive();
          }
          start = cut + 2;
        }
        rest = start === text.length ? '' : text.slice(start);
      };
      const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
      reqs.push(openSseSocket({ url: new URL(`${base}${path}`), headers, onText, onError: reject }));
    }
  });
}

let streams: Streams | undefined;

process.on('message', (raw: unknown) => {
  const msg = raw as ToClients;
  const run = async (): Promise<void> => {
    if (msg.type === 'workers') await workers(msg.base, msg.tokens, msg.requests);
    else if (msg.type === 'sse-open') {
      streams = await openStreams(msg.base, msg.path, msg.tokens, msg.expected);
      send({ type: 'sse-ready' });
    } else if (msg.type === 'sse-stop') {
      const s = streams;
      streams = undefined;
      s?.close();
      send(s ? s.result() : { type: 'error', message: 'no streams open' });
    }
  };
  run().catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
// the parent went away (or finished): nothing left to do
process.on('disconnect', () => process.exit(0));
