import { type ServerProcess, startServer } from '../../bench/lib/processes.js';

export type ApiProcess = ServerProcess;

/**
 * Starts the real server entry point (`src/server.ts`) in its own process on a random loopback port.
 * The launcher is the benchmarks' one, so tests and benchmarks start servers the same way.
 */
export const startApiProcess = (env: Record<string, string>): Promise<ApiProcess> =>
  startServer('src/server.ts', env);

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A small JSON client over fetch, for talking to API processes. */
export async function call(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}
