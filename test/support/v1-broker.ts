/**
 * A stand-in for the reference Python broker, protocol v1 only: it never
 * answers HELLO, never echoes to the publisher, sends nothing but EVT, and
 * closes a connection that uses a verb v1 does not have. Used to prove our
 * client works against it (issue #3 item 4). Deliberately naive (linear
 * routing), like a peer we do not control.
 */
import net from 'node:net';
import { unlinkSync } from 'node:fs';
import { encodeEvt, FrameDecoder, V1_VERB_SET } from '../../src/bus/codec/index.js';
import { matches, newEventId } from '../../src/bus/index.js';

interface Peer {
  sock: net.Socket;
  patterns: Set<string>;
  name: string;
}

export interface V1Broker {
  readonly path: string;
  readonly peers: ReadonlySet<Peer>;
  /** Verbs received, in order, per connection name (for assertions). */
  readonly received: Array<{ name: string; verb: string; args: string }>;
  close(): Promise<void>;
}

export async function startV1Broker(path: string): Promise<V1Broker> {
  const peers = new Set<Peer>();
  const received: V1Broker['received'] = [];
  const server = net.createServer((sock) => {
    const peer: Peer = { sock, patterns: new Set(), name: '?' };
    peers.add(peer);
    const decoder = new FrameDecoder((frame) => {
      if (frame.verb === 'HELLO') peer.name = frame.args;
      received.push({ name: peer.name, verb: frame.verb, args: frame.args });
      if (!V1_VERB_SET.has(frame.verb) || frame.verb === 'EVT') {
        sock.destroy(); // what a v1 broker does with a verb it does not know
        return;
      }
      switch (frame.verb) {
        case 'HELLO':
          return; // named above; a v1 broker never answers
        case 'SUB':
          peer.patterns.add(frame.args);
          return;
        case 'UNSUB':
          peer.patterns.delete(frame.args);
          return;
        case 'BYE':
          sock.end();
          return;
        case 'PUB': {
          const body = frame.body.length ? (JSON.parse(frame.body.toString('utf8')) as { type?: string; payload?: object }) : {};
          const envelope = { v: 1, id: newEventId(), topic: frame.args, type: body.type ?? '', ts: Date.now() / 1000, payload: body.payload ?? {} };
          const evt = encodeEvt(frame.args, Buffer.from(JSON.stringify(envelope)));
          for (const other of peers) {
            if (other === peer) continue; // v1: no echo
            if ([...other.patterns].some((p) => matches(p, frame.args))) other.sock.write(evt);
          }
        }
      }
    });
    sock.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch {
        sock.destroy();
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => peers.delete(peer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    path,
    peers,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of peers) p.sock.destroy();
        server.close(() => {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
          resolve();
        });
      }),
  };
}

let n = 0;
/** A short unique socket path in the OS temp directory (fits the 107-byte limit). */
export function tempSocketPath(tag: string): string {
  n++;
  return `/tmp/dn-${tag}-${process.pid}-${n}.sock`;
}
