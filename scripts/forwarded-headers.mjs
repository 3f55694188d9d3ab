/**
 * Preloaded (node --import) into the server by `npm start` when TRUSTED_PROXIES is 0 (no reverse proxy in front):
 * a client must not choose the address that audit rows record and that sign-in throttling counts, so
 * any X-Forwarded-* it sends is replaced by what the socket says. Behind a proxy, set TRUSTED_PROXIES.
 */
import http from "node:http";

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function emitWithSocketAddress(event, request, ...rest) {
  if (event === "request" && request && request.headers) {
    request.headers["x-forwarded-for"] = request.socket.remoteAddress || "";
    delete request.headers["x-forwarded-host"];
    delete request.headers["x-forwarded-proto"];
    delete request.headers["x-forwarded-port"];
  }
  return emit.call(this, event, request, ...rest);
};
