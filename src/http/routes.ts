/**
 * The reference's route table under the route prefix (main.go, api/v1/api.go in prometheus/pushgateway),
 * by route name and without handlers: the server (server.ts) attaches one to each name, and the command
 * line (cli.ts) builds it to refuse a --web.telemetry-path that collides with another route. Kept free of
 * the store and the handlers so that parsing a command line loads only this and the router.
 */
import type { Config } from '../config.js';
import { Router, joinPath } from './router.js';

/** The reference's routes by name; buildRouter gives each its handler. */
export type RouteName =
  | 'scrape'
  | 'push'
  | 'push@base64'
  | 'delete'
  | 'delete@base64'
  | 'healthy'
  | 'ready'
  | 'status'
  | 'static'
  | 'pprof'
  | 'quit'
  | 'quit-get'
  | 'api/v1/status'
  | 'api/v1/metrics'
  | 'api/v1/options'
  | 'api/v1/groups'
  | 'wipe'
  | 'admin/groups';

/**
 * The reference's route table under the route prefix (main.go, api/v1/api.go), without handlers. The
 * scrape route comes last, so that a --web.telemetry-path colliding with another route is the one the
 * router refuses (RouteConflict); the command line asks this table before the gateway starts.
 */
export function routeTable(config: Config): Router<RouteName> {
  const prefix = config.routePrefix === '/' ? '' : config.routePrefix;
  const router = new Router<RouteName>();
  for (const [job, base64] of [
    ['job', false],
    ['job@base64', true],
  ] as const) {
    for (const tail of ['/:job', '/:job/*labels']) {
      const pattern = `${prefix}/metrics/${job}${tail}`;
      router.add('PUT', pattern, base64 ? 'push@base64' : 'push');
      router.add('POST', pattern, base64 ? 'push@base64' : 'push');
      router.add('DELETE', pattern, base64 ? 'delete@base64' : 'delete');
    }
  }
  router.add('GET', `${prefix}/-/healthy`, 'healthy');
  router.add('GET', `${prefix}/-/ready`, 'ready');
  router.add('GET', `${prefix}/`, 'status');
  router.add('GET', `${prefix}/status`, 'status');
  router.add('GET', `${prefix}/static/*filepath`, 'static');
  // Go's pprof in the reference; held here so that its paths route (and collide) the same, answered 404.
  router.add('GET', `${prefix}/debug/pprof/*pprof`, 'pprof');
  router.add('PUT', `${prefix}/-/quit`, 'quit');
  router.add('POST', `${prefix}/-/quit`, 'quit');
  // The reference registers this one without the route prefix.
  router.add('GET', '/-/quit', 'quit-get');

  // The reference mounts the API on its own router under this ServeMux subtree: a path below it never
  // reaches the routes above (not even a --web.telemetry-path there), and theirs are not reached from outside.
  const api = `${prefix}/api/v1/`;
  router.addSubtree(api);
  router.add('GET', `${prefix}/api/v1/status`, 'api/v1/status', api);
  router.add('GET', `${prefix}/api/v1/metrics`, 'api/v1/metrics', api);
  router.add('OPTIONS', `${prefix}/api/v1/*path`, 'api/v1/options', api);
  // Ours (issue 12, docs/lifecycle.md): groups by selector; deleting them is an admin endpoint like the wipe.
  router.add('GET', `${prefix}/api/v1/groups`, 'api/v1/groups', api);
  if (config.enableAdminApi) router.add('PUT', `${prefix}/api/v1/admin/wipe`, 'wipe', api);
  if (config.enableAdminApi) router.add('DELETE', `${prefix}/api/v1/admin/groups`, 'admin/groups', api);

  router.add('GET', joinPath(prefix || '/', config.telemetryPath), 'scrape');
  return router;
}
