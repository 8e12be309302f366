import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';

/**
 * Git's own smart-HTTP server (`git http-backend`, the CGI program that ships with git) behind
 * a loopback HTTP server that asks for Basic authentication, as a hosted git server asks for a
 * token: a request without the right password is answered 401 and never reaches git.
 */
export interface GitHttpServer {
  /** `http://127.0.0.1:port/<repository>.git` */
  url: string;
  close(): Promise<void>;
}

export async function serveGitOverHttp(bareRepository: string, password: string): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`sluice:${password}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: dirname(bareRepository),
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'sluice',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    // a CGI answer: header lines (Status: among them), a blank line, then the body
    let head = Buffer.alloc(0);
    let answered = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (answered) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      answered = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!answered) res.writeHead(502).end('git http-backend gave no answer\n');
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${basename(bareRepository)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
