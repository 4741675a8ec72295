import { createServer, type Server } from 'node:http';
import type { App } from './app.js';

/** Thrown when the HTTP port cannot be bound; main.ts turns it into a one-line message. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Mounts the app on a node HTTP server and listens. Resolves once bound. */
export function listen(app: App, host: string, port: number): Promise<Server> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use (is another quantql running? set PORT to use another port)`
          : error.code === 'EACCES'
            ? `not allowed to listen on ${host}:${port}`
            : error.message;
      reject(new ListenError(reason, error.code));
    });
    server.listen(port, host, () => resolve(server));
  });
}

/** Stops accepting connections and waits for in-flight requests (bounded by the caller). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
