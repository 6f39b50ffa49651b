/**
 * Flags an operator may carry over from a reference deployment: the supported ones (lifecycle API, admin
 * wipe, route prefix, external URL) must behave like the reference with the same flags. (The one feature
 * still refused, vsock:// listeners, is checked in error-catalogue.test.ts and cli-process.test.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

interface Reply {
  status: number;
  text: string;
  allow: string | null;
  location: string | null;
}

async function send(gw: RunningGateway, method: string, path: string, body?: string): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.port}${path}`, { method, body: body ?? null, redirect: 'manual' });
  return {
    status: res.status,
    text: await res.text(),
    allow: res.headers.get('allow'),
    location: res.headers.get('location'),
  };
}

function exited(gw: RunningGateway): Promise<number | null> {
  const child = gw.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves with the exit code, or rejects when the process has not exited within `ms`. */
function exitWithin(gw: RunningGateway, ms: number): Promise<number | null> {
  return Promise.race([
    exited(gw),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms).unref()),
  ]);
}

describe('lifecycle API (/-/quit)', () => {
  it('with --web.enable-lifecycle, PUT /-/quit says goodbye and the process exits 0', async () => {
    const gw = await startOurs(['--web.enable-lifecycle']);
    try {
      assert.deepEqual(await send(gw, 'PUT', '/-/quit'), {
        status: 200,
        text: 'Requesting termination... Goodbye!',
        allow: null,
        location: null,
      });
      assert.equal(await exitWithin(gw, 5000), 0);
    } finally {
      await gw.stop();
    }
  });

  it('with --web.enable-lifecycle, POST /-/quit works too', async () => {
    const gw = await startOurs(['--web.enable-lifecycle']);
    try {
      assert.equal((await send(gw, 'POST', '/-/quit')).status, 200);
      assert.equal(await exitWithin(gw, 5000), 0);
    } finally {
      await gw.stop();
    }
  });

  it('without the flag, PUT and POST /-/quit are 403 and the gateway keeps running; GET is 405', async () => {
    const gw = await startOurs();
    try {
      for (const method of ['PUT', 'POST']) {
        const r = await send(gw, method, '/-/quit');
        assert.equal(r.status, 403);
        assert.equal(r.text, 'Lifecycle API is not enabled.');
      }
      const get = await send(gw, 'GET', '/-/quit');
      assert.equal(get.status, 405);
      assert.equal(get.text, 'Only POST or PUT requests allowed.');
      assert.equal((await send(gw, 'GET', '/-/healthy')).status, 200);
      assert.equal(gw.process.exitCode, null);
    } finally {
      await gw.stop();
    }
  });
});

describe('admin API (/api/v1/admin/wipe)', () => {
  let admin: RunningGateway;
  let plain: RunningGateway;
  before(async () => {
    [admin, plain] = await Promise.all([startOurs(['--web.enable-admin-api']), startOurs()]);
  });
  after(async () => {
    await Promise.all([admin.stop(), plain.stop()]);
  });

  it('with --web.enable-admin-api, PUT wipes every group with 202', async () => {
    assert.equal((await send(admin, 'PUT', '/metrics/job/w1', 'a 1\n')).status, 200);
    assert.equal((await send(admin, 'PUT', '/metrics/job/w2/instance/i', 'b 2\n')).status, 200);
    assert.match((await send(admin, 'GET', '/metrics')).text, /job="w2"/);
    assert.deepEqual(await send(admin, 'PUT', '/api/v1/admin/wipe'), {
      status: 202,
      text: '',
      allow: null,
      location: null,
    });
    const after = await send(admin, 'GET', '/metrics');
    assert.equal(after.status, 200);
    assert.doesNotMatch(after.text, /job="/);
    // The gateway still takes pushes afterwards.
    assert.equal((await send(admin, 'PUT', '/metrics/job/w1', 'a 1\n')).status, 200);
  });

  it('with --web.enable-admin-api, GET on the wipe path is 405 with Allow: OPTIONS, PUT', async () => {
    const r = await send(admin, 'GET', '/api/v1/admin/wipe');
    assert.equal(r.status, 405);
    assert.equal(r.allow, 'OPTIONS, PUT');
  });

  it('without the flag, PUT on the wipe path is 404 and nothing is wiped', async () => {
    assert.equal((await send(plain, 'PUT', '/metrics/job/keep', 'a 1\n')).status, 200);
    assert.equal((await send(plain, 'PUT', '/api/v1/admin/wipe')).status, 404);
    assert.match((await send(plain, 'GET', '/metrics')).text, /job="keep"/);
  });
});

/** Requests whose status, Location and Allow must match the reference under a route prefix. */
function prefixRequests(p: string): Array<[string, string, string?]> {
  return [
    ['PUT', `${p}/metrics/job/x`, 'm 1\n'],
    ['POST', `${p}/metrics/job/x/instance/i`, 'm 2\n'],
    ['PUT', '/metrics/job/x', 'm 1\n'],
    ['GET', `${p}/metrics`],
    ['GET', '/metrics'],
    ['GET', `${p}/metrics/`],
    ['GET', `${p}/-/healthy`],
    ['GET', `${p}/-/ready`],
    ['GET', '/-/healthy'],
    ['GET', `${p}/-/quit`],
    ['GET', '/-/quit'],
    ['PUT', `${p}/-/quit`],
    ['PUT', '/-/quit'],
    ['GET', p],
    ['GET', `${p}/`],
    ['GET', `${p}/status`],
    ['GET', '/'],
    ['GET', `${p}/api/v1`],
    ['OPTIONS', `${p}/-/healthy`],
    ['DELETE', `${p}/metrics/job/x`],
    ['DELETE', '/metrics/job/x'],
  ];
}

for (const [flag, prefix] of [
  ['--web.route-prefix=/pg', '/pg'],
  ['--web.external-url=http://example.com/ext/', '/ext'],
] as const) {
  describe(`${flag} routes like the reference`, () => {
    const skip = referenceSkipReason();
    let ours: RunningGateway;
    let ref: RunningGateway;
    before(async () => {
      ours = await startOurs([flag], { prefix });
      if (skip === false) ref = await startReference([flag], { prefix });
    });
    after(async () => {
      await Promise.all([ours.stop(), ref?.stop()]);
    });

    it(`serves push, scrape and health under ${prefix}, and GET /-/quit without it`, async () => {
      assert.equal((await send(ours, 'PUT', `${prefix}/metrics/job/x`, 'm 1\n')).status, 200);
      const scrape = await send(ours, 'GET', `${prefix}/metrics`);
      assert.equal(scrape.status, 200);
      assert.match(scrape.text, /^m\{instance="",job="x"\} 1$/m);
      assert.equal((await send(ours, 'GET', '/metrics')).status, 404);
      assert.equal((await send(ours, 'PUT', '/metrics/job/x', 'm 1\n')).status, 404);
      assert.deepEqual(await send(ours, 'GET', `${prefix}/-/healthy`), {
        status: 200,
        text: 'OK',
        allow: null,
        location: null,
      });
      assert.equal((await send(ours, 'GET', '/-/healthy')).status, 404);
      assert.equal((await send(ours, 'GET', '/-/quit')).status, 405);
      assert.equal((await send(ours, 'GET', prefix)).location, `${prefix}/`);
      assert.match((await send(ours, 'GET', `${prefix}/`)).text, new RegExp(`web\\.route-prefix[\\s\\S]*${prefix}`));
    });

    it("answers a table of requests with the reference's status, Location and Allow", { skip }, async () => {
      for (const [method, path, body] of prefixRequests(prefix)) {
        const [a, b] = [await send(ours, method, path, body), await send(ref, method, path, body)];
        const what = `${method} ${path}`;
        assert.equal(a.status, b.status, `${what}: status`);
        assert.equal(a.location, b.location, `${what}: Location`);
        assert.equal(a.allow, b.allow, `${what}: Allow`);
        if (a.status !== 200) assert.equal(a.text, b.text, `${what}: body`);
      }
    });
  });
}

describe('lifecycle and admin flags compared with the reference', () => {
  const skip = referenceSkipReason();

  it('quit, wipe and their refusals answer like the reference', { skip }, async () => {
    for (const flags of [['--web.enable-lifecycle', '--web.enable-admin-api'], []]) {
      const [ours, ref] = await Promise.all([startOurs(flags), startReference(flags)]);
      try {
        for (const [method, path] of [
          ['GET', '/api/v1/admin/wipe'],
          ['PUT', '/api/v1/admin/wipe'],
          ['POST', '/api/v1/admin/wipe'],
          ['GET', '/-/quit'],
          ['PUT', '/-/quit'],
        ]) {
          const [a, b] = [await send(ours, method!, path!), await send(ref, method!, path!)];
          assert.deepEqual(a, b, `${method} ${path} with [${flags.join(' ')}]`);
        }
        if (flags.length > 0) assert.deepEqual([await exitWithin(ours, 5000), await exitWithin(ref, 5000)], [0, 0]);
      } finally {
        await Promise.all([ours.stop(), ref.stop()]);
      }
    }
  });
});
