// A TCP proxy between one node and Redis, to break that node's network on purpose while the
// rest of the cluster keeps its own: cut() drops and refuses its connections (a partition),
// freeze() keeps them open but forwards nothing (a half-open, silent connection).
import net from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Closes every connection through the proxy and refuses new ones until heal(). */
  cut(): void;
  /** Keeps connections open but stops forwarding bytes, both ways, until heal(). */
  freeze(): void;
  /** Back to forwarding (bytes sent while frozen are lost). */
  heal(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  type Mode = "open" | "cut" | "frozen";
  let mode: Mode = "open";
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === "cut") return client.destroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    track(upstream);
    client.on("data", (d) => mode === "open" && upstream.write(d));
    upstream.on("data", (d) => mode === "open" && client.write(d));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      mode = "cut";
      for (const s of sockets) s.destroy();
    },
    freeze() {
      mode = "frozen";
    },
    heal() {
      mode = "open";
    },
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
