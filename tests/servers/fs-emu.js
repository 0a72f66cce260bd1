// Fallback Firestore emulator: @firestore-emulator/server bound to 127.0.0.1 only.
// The package binds 0.0.0.0 itself, so the gRPC bind call is rewritten before the server starts.
// Usage: NODE_PATH=<dir>/node_modules node fs-emu.js PORT
"use strict";
const grpc = require("@grpc/grpc-js");
const bind = grpc.Server.prototype.bindAsync;
grpc.Server.prototype.bindAsync = function (address, credentials, callback) {
  const loopback = String(address).replace(/^(0\.0\.0\.0|\[::\]|::)?:/, "127.0.0.1:");
  return bind.call(this, loopback, credentials, callback);
};
const { FirestoreServer } = require("@firestore-emulator/server");
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node fs-emu.js PORT");
  process.exit(2);
}
const server = new FirestoreServer();
server.start(port).then(() => console.log(`fallback firestore emulator on 127.0.0.1:${port}`));
const stop = () => { server.stop(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
