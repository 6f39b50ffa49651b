#!/usr/bin/python3
"""Drives the real Python prometheus_client against a Pushgateway for the integration tests.

Usage: python_push.py '<json spec>'. The spec is {"gateway": "127.0.0.1:PORT", "ops": [op, ...]} where
an op is {"op": "push"|"pushadd"|"delete", "job": str, "grouping_key": {str: str}, "metrics": [metric]}
and a metric is {"type": "counter"|"gauge"|"summary"|"histogram"|"info", "name": str, "help": str,
"labels": {str: str} (optional), "buckets": [float] (histogram, optional), "inc": float (counter),
"set": float (gauge), "observe": [float] (summary/histogram), "info": {str: str} (info)}. An op may
carry "headers": {str: str}, request headers a handler adds (the lifecycle headers of issue 12).
Each op gets a fresh CollectorRegistry so the test controls exactly what is pushed. Prints one JSON
line per op: {"ok": true} or {"ok": false, "error": "..."} (the client raises on HTTP status >= 400).

With "tls": {"ca": path, "cert": path|null, "key": path|null, "user": str|null, "password": str|null} in
the spec, "gateway" is an https:// URL and every op goes through tls_handler below: the client's own
tls_auth_handler (an ssl context with the CA and the client certificate) plus the Authorization header
its basic_auth_handler would add, which the client has no single handler for.
"""
import base64
import json
import ssl
import sys
from urllib.request import HTTPSHandler, Request, build_opener

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Info, Summary,
                               delete_from_gateway, push_to_gateway, pushadd_to_gateway)
from prometheus_client.exposition import default_handler, tls_auth_handler


def with_headers(extra, base=default_handler):
    """A push_to_gateway handler that adds request headers, as docs/lifecycle.md shows."""
    def handler(url, method, timeout, headers, data):
        return base(url, method, timeout, list(headers) + list(extra.items()), data)
    return handler


def child(metric, collector):
    labels = metric.get('labels')
    return collector.labels(**labels) if labels else collector


def add_metric(registry, m):
    kind, name, doc = m['type'], m['name'], m.get('help', 'help for ' + m['name'])
    names = sorted(m.get('labels', {}).keys())
    if kind == 'counter':
        child(m, Counter(name, doc, names, registry=registry)).inc(m.get('inc', 1))
    elif kind == 'gauge':
        child(m, Gauge(name, doc, names, registry=registry)).set(m.get('set', 0))
    elif kind == 'summary':
        s = child(m, Summary(name, doc, names, registry=registry))
        for v in m.get('observe', []):
            s.observe(v)
    elif kind == 'histogram':
        kwargs = {'buckets': m['buckets']} if 'buckets' in m else {}
        h = child(m, Histogram(name, doc, names, registry=registry, **kwargs))
        for v in m.get('observe', []):
            h.observe(v)
    elif kind == 'info':
        child(m, Info(name, doc, names, registry=registry)).info(m.get('info', {}))
    else:
        raise ValueError('unknown metric type ' + kind)


def tls_handler(tls):
    """A push handler with the CA, an optional client certificate and optional basic auth."""
    def handler(url, method, timeout, headers, data):
        headers = list(headers)
        if tls.get('user') is not None:
            token = base64.b64encode(('%s:%s' % (tls['user'], tls['password'])).encode()).decode()
            headers.append(('Authorization', 'Basic ' + token))
        if tls.get('cert') is not None:
            return tls_auth_handler(url, method, timeout, headers, data,
                                    certfile=tls['cert'], keyfile=tls['key'], cafile=tls['ca'])
        # No client certificate: tls_auth_handler insists on one, so urllib with a CA-only ssl context.
        context = ssl.create_default_context(cafile=tls['ca'])

        def handle():
            request = Request(url, data=data, method=method)
            for k, v in headers:
                request.add_header(k, v)
            build_opener(HTTPSHandler(context=context)).open(request, timeout=timeout)
        return handle
    return handler


def run(gateway, op, handler=default_handler):
    job, key = op['job'], op.get('grouping_key') or None
    if op['op'] == 'delete':
        delete_from_gateway(gateway, job=job, grouping_key=key, timeout=10, handler=handler)
        return
    registry = CollectorRegistry()
    for m in op.get('metrics', []):
        add_metric(registry, m)
    send = push_to_gateway if op['op'] == 'push' else pushadd_to_gateway
    extra = op.get('headers')
    if extra:
        handler = with_headers(extra, handler)
    send(gateway, job=job, registry=registry, grouping_key=key, timeout=10, handler=handler)


def main():
    spec = json.loads(sys.argv[1])
    handler = tls_handler(spec['tls']) if 'tls' in spec else default_handler
    for op in spec['ops']:
        try:
            run(spec['gateway'], op, handler)
            print(json.dumps({'ok': True}))
        except Exception as err:  # report, keep going: the test asserts per op
            print(json.dumps({'ok': False, 'error': '%s: %s' % (type(err).__name__, err)}))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
