/**
 * A bare HTTP/1.1 GET over `net` for the bench's 100 streams: the response head, then the
 * chunked body decoded and handed on as text. node:http's client (parser, IncomingMessage
 * stream, string decoder) cost about as much CPU as the server's fan-out on a 2-core box,
 * and it is the server that is measured. Text is latin1 (one char per byte, so chunk
 * sizes count chars); the bench reads only ASCII from it.
 */
import { connect, type Socket } from 'node:net';
import { nowMs } from './protocol.js';

export interface SseSocketOptions {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Body text as it arrives (any split), with the arrival time of its socket read. */
  readonly onText: (text: string, at: number) => void;
  readonly onError: (err: Error) => void;
}

type Phase = 'head' | 'size' | 'data' | 'crlf' | 'done';

/** Opens the stream; `destroy()` the socket to close it. */
export function openSseSocket(o: SseSocketOptions): Socket {
  const socket = connect({ host: o.url.hostname, port: Number(o.url.port) });
  socket.setEncoding('latin1');
  const lines = [`GET ${o.url.pathname}${o.url.search} HTTP/1.1`, `Host: ${o.url.host}`, ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let phase: Phase = 'head';
  let buf = '';
  let left = 0;
  const fail = (message: string): void => {
    phase = 'done';
    socket.destroy();
    o.onError(new Error(message));
  };
  socket.on('data', (chunk: string) => {
    const at = nowMs();
    buf = buf === '' ? chunk : buf + chunk;
    let pos = 0;
    let body = '';
    for (;;) {
      if (phase === 'head') {
        const end = buf.indexOf('\r\n\r\n', pos);
        if (end === -1) break;
        const head = buf.slice(pos, end);
        pos = end + 4;
        const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
        if (status !== '200') return fail(`stream answered ${status ?? 'garbage'}`);
        if (!/\r\ntransfer-encoding: *chunked\r?$/im.test(head)) return fail('stream is not chunked');
        phase = 'size';
      } else if (phase === 'size') {
        const end = buf.indexOf('\r\n', pos);
        if (end === -1) break;
        left = Number.parseInt(buf.slice(pos, end), 16);
        pos = end + 2;
        if (!Number.isFinite(left)) return fail('bad chunk size');
        phase = left === 0 ? 'done' : 'data';
      } else if (phase === 'data') {
        const n = Math.min(left, buf.length - pos);
        if (n === 0) break;
        body += buf.slice(pos, pos + n);
        pos += n;
        left -= n;
        if (left === 0) phase = 'crlf';
      } else if (phase === 'crlf') {
        if (buf.length - pos < 2) break;
        pos += 2;
        phase = 'size';
      } else {
        break;
      }
    }
    buf = pos === buf.length ? '' : buf.slice(pos);
    if (body !== '') o.onText(body, at);
  });
  socket.on('error', (err) => {
    if (phase !== 'done') o.onError(err);
  });
  return socket;
}
