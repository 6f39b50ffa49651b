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
"""
import json
import sys

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Info, Summary,
                               delete_from_gateway, push_to_gateway, pushadd_to_gateway)
from prometheus_client.exposition import default_handler


def with_headers(extra):
    """A push_to_gateway handler that adds request headers, as docs/lifecycle.md shows."""
    def handler(url, method, timeout, headers, data):
        return default_handler(url, method, timeout, list(headers) + list(extra.items()), data)
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


def run(gateway, op):
    job, key = op['job'], op.get('grouping_key') or None
    if op['op'] == 'delete':
        delete_from_gateway(gateway, job=job, grouping_key=key, timeout=10)
        return
    registry = CollectorRegistry()
    for m in op.get('metrics', []):
        add_metric(registry, m)
    send = push_to_gateway if op['op'] == 'push' else pushadd_to_gateway
    extra = op.get('headers')
    kwargs = {'handler': with_headers(extra)} if extra else {}
    send(gateway, job=job, registry=registry, grouping_key=key, timeout=10, **kwargs)


def main():
    spec = json.loads(sys.argv[1])
    for op in spec['ops']:
        try:
            run(spec['gateway'], op)
            print(json.dumps({'ok': True}))
        except Exception as err:  # report, keep going: the test asserts per op
            print(json.dumps({'ok': False, 'error': '%s: %s' % (type(err).__name__, err)}))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
