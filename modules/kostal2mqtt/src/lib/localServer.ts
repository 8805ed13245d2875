import type { Server } from "node:http";
import type { Logger } from "../log/logger.js";

/**
 * Listening and closing for the bridge's own small HTTP servers (health, mirrors): a port that cannot be had is
 * that server's fault alone, said once, and a stop closes every connection at once, idle ones included, so that
 * none holds the process open at SIGTERM.
 */

/** Listens on `bind:port`; false (and one error line naming `what` and the reason) when the port cannot be had. */
export async function listenOrSay(server: Server, port: number, bind: string, what: string, log: Logger) {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, bind, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    log.error(`${what} cannot listen on ${bind}:${port} (${code}); it is off`);
    return false;
  }
  server.on("error", (error) => log.warn(what, error));
  return true;
}

/** `http://host:port` of a listening server, with an IPv6 address in brackets. */
export function serverOrigin(bind: string, port: number | null): string {
  return `http://${bind.includes(":") ? `[${bind}]` : bind}:${port}`;
}

/** Stops accepting, closes every open connection and waits until the server is closed. */
export async function closeServer(server: Server | null): Promise<void> {
  if (server === null) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
