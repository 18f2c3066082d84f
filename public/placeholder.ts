// Shows the full WebSocket URL of this server on the placeholder page.
const el = document.getElementById("ws");
if (el) el.textContent = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?name=NAME&room=ROOM`;
