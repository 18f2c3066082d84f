// The floor: the least a Bun WebSocket chat server can do. Each connection subscribes to its
// room's topic and every text frame it sends is published, as is, to that room (the sender
// included, as Hubbub does). No protocol, no validation, no state: whatever it costs per
// delivery is Bun's own cost, and every Hubbub number is reported as a ratio to it.
//
// It speaks just enough of Hubbub's wire format for the same load generator to drive it: the
// `room` query parameter picks the room, a `users` frame says the join is done, and an echoed
// `chat` frame carries the sender's text in a `"text"` field.
//
// Run: bun bench/baseline-server.ts (PORT, HOST from the environment; logs one "listening" line).

const server = Bun.serve<{ topic: string }>({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? "127.0.0.1",
  fetch(req, srv) {
    const room = new URL(req.url).searchParams.get("room") ?? "lobby";
    if (srv.upgrade(req, { data: { topic: `r:${room}` } })) return undefined;
    return new Response("baseline bench server\n");
  },
  websocket: {
    open(ws) {
      ws.subscribe(ws.data.topic);
      ws.send(`{"type":"users","room":${JSON.stringify(ws.data.topic.slice(2))},"seq":0,"users":[]}`);
    },
    message(ws, data) {
      server.publish(ws.data.topic, data);
    },
    perMessageDeflate: false,
  },
});

console.log(JSON.stringify({ level: "info", msg: "listening", port: server.port }));
// A clean exit on SIGTERM lets `bun --cpu-prof` write its profile.
process.on("SIGTERM", () => process.exit(0));
