import net from 'node:net';

export interface TcpProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Resolves at the first cut. */
  readonly cut: Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` that cuts (destroys both ends of) the first `cutTimes`
 * connections whose client has sent more than `cutAfterBytes` bytes: a network failure in the
 * middle of an upload's body, while small requests (queries, subscriptions) pass untouched.
 */
export async function startCuttingProxy(target: string, options: { cutAfterBytes: number; cutTimes?: number }): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let cuts = 0;
  let markCut: () => void = () => undefined;
  const cut = new Promise<void>((resolve) => (markCut = resolve));
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > options.cutAfterBytes && cuts < (options.cutTimes ?? 1)) {
        cuts += 1;
        client.destroy();
        upstream.destroy();
        markCut();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get cuts() {
      return cuts;
    },
    cut,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
