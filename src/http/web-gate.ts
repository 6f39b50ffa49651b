/**
 * What --web.config.file puts in front of every route, in the order exporter-toolkit's handler does it:
 * the configured `http_server_config.headers` are set first, so every response carries them (401s,
 * 404s and redirects included), then basic auth decides; a denied request is answered 401 here and never
 * reaches the router (nor pushgateway_http_requests_total, which the reference counts inside its routes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebConfig } from '../web-config/web-config.js';
import { UnauthorizedError } from '../errors.js';
import { BasicAuth } from './basic-auth.js';
import { sendHttpError } from './respond.js';

export class WebGate {
  private readonly headers: ReadonlyArray<readonly [string, string]>;
  private readonly auth: BasicAuth;

  constructor(config: WebConfig, auth = new BasicAuth(config.basicAuthUsers)) {
    this.headers = Object.entries(config.headers);
    this.auth = auth;
  }

  /**
   * Sets the configured headers and answers true when the request may go on to the router; when it may
   * not, the 401 is already sent. A promise only while a bcrypt check runs.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    for (const [name, value] of this.headers) res.setHeader(name, value);
    const verdict = this.auth.allows(req.headers.authorization);
    if (verdict === true) return true;
    if (verdict === false) return deny(req, res);
    return verdict.then((ok) => ok || deny(req, res));
  }
}

function deny(req: IncomingMessage, res: ServerResponse): false {
  req.resume(); // the body is not wanted; reading it keeps a keep-alive connection usable
  if (!res.headersSent && !res.destroyed) sendHttpError(res, new UnauthorizedError());
  return false;
}
