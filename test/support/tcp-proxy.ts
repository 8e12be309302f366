import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, to take that server away from one
 * client while others keep it: `cut()` drops every connection and refuses new ones until
 * `heal()`; `close()` stops the proxy.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let isCut = false;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  const server = net.createServer((client) => {
    if (isCut) return void client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      isCut = true;
      dropAll();
    },
    heal() {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        isCut = true;
        dropAll();
        server.close(() => resolve());
      }),
  };
}
