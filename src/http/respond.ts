/**
 * Response helpers that reproduce net/http's: catalogued errors in the form the reference writes them
 * (http.Error's plain-text bodies with `nosniff`, a handler's plain text, net/http's own bare 400s), the
 * 404 page, and http.Redirect's small HTML body for GET/HEAD.
 */
import type { ServerResponse } from 'node:http';
import { NotFoundError, type HttpError } from '../errors.js';

/** Answers with a catalogued error: its status, its headers, its message in its form (see AnswerForm). */
export function sendHttpError(res: ServerResponse, err: HttpError): void {
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  switch (err.form) {
    case 'error': {
      const body = `${err.message}\n`;
      res.writeHead(err.status, {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    case 'text':
      sendText(res, err.status, err.message);
      return;
    case 'raw':
      res.writeHead(err.status);
      res.end(err.message === '' ? undefined : err.message);
  }
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/** A body given as pieces (big bodies are never one string): Content-Length from their sum, written corked. */
export function sendPieces(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  pieces: readonly Buffer[],
): void {
  let length = 0;
  for (const b of pieces) length += b.length;
  res.writeHead(status, { ...headers, 'Content-Length': length });
  res.cork();
  for (const b of pieces) if (b.length > 0) res.write(b);
  res.uncork();
  res.end();
}

export function sendNotFound(res: ServerResponse): void {
  sendHttpError(res, new NotFoundError());
}

export function sendRedirect(res: ServerResponse, method: string, status: number, location: string): void {
  if (method === 'GET' || method === 'HEAD') {
    const text = status === 301 ? 'Moved Permanently' : status === 307 ? 'Temporary Redirect' : 'Found';
    const body = `<a href="${htmlEscape(location)}">${text}</a>.\n\n`;
    res.writeHead(status, {
      Location: location,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  res.writeHead(status, { Location: location, 'Content-Length': 0 });
  res.end();
}

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}
