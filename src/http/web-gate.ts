/**
 * What --web.config.file puts in front of every route, in the order exporter-toolkit's handler does it:
 * the configured `http_server_config.headers` are set first, so every response carries them (401s,
 * 404s and redirects included), then basic auth decides; a denied request is answered 401 here and never
 * reaches the router (nor pushgateway_http_requests_total, which the reference counts inside its routes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { derivedFrom, type WebConfigSource } from '../web-config/web-config-source.js';
import { UnauthorizedError } from '../errors.js';
import { AuthCache } from './auth-cache.js';
import { BasicAuth } from './basic-auth.js';
import { SerialBcrypt } from './serial-bcrypt.js';
import { sendHttpError } from './respond.js';

interface GateRules {
  headers: ReadonlyArray<readonly [string, string]>;
  auth: BasicAuth;
}

export class WebGate {
  /** The headers and users of the config in force, rebuilt when a reload hands out a new config. */
  private readonly rules: () => GateRules;

  constructor(source: WebConfigSource) {
    // One cache and one bcrypt queue across reloads: the cache key holds the hash, so a changed user
    // cannot hit an old verdict, and checks stay one at a time however often the file changes.
    const shared = { cache: new AuthCache(), bcrypt: new SerialBcrypt() };
    this.rules = derivedFrom(source, (config) => ({
      headers: Object.entries(config.headers),
      auth: new BasicAuth(config.basicAuthUsers, shared),
    }));
  }

  /**
   * Sets the configured headers and answers true when the request may go on to the router; when it may
   * not, the 401 is already sent. A promise only while a bcrypt check runs.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    const { headers, auth } = this.rules();
    for (const [name, value] of headers) res.setHeader(name, value);
    const verdict = auth.allows(req.headers.authorization);
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
