/**
 * /-/ready reports the store writer's readiness (the seam of docs/high-availability.md): 503 with the
 * catalogued PGW_ERR_NOT_READY while the writer is not ready (a replicated store connecting or catching
 * up), 200 `OK` once it is; /-/healthy stays 200 throughout. The embedded LocalWriter is always ready.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessGateway } from '../helpers/in-process.js';
import { LocalWriter, type StoreWriter } from '../../src/store/store-writer.js';
import type { MemoryStore, PushRequest } from '../../src/store/store.js';
import type { GroupingLabels } from '../../src/model/grouping-key.js';
import type { ConsistencyError } from '../../src/errors.js';
import type { ExpireItem } from '../../src/lifecycle/expire-write.js';

/** A LocalWriter whose readiness the test sets, standing in for a store that is still catching up. */
class GatedWriter implements StoreWriter {
  ready = false;
  private readonly local: LocalWriter;

  constructor(store: MemoryStore) {
    this.local = new LocalWriter(store);
  }

  push(req: PushRequest): Promise<ConsistencyError | undefined> {
    return this.local.push(req);
  }

  deleteGroup(labels: GroupingLabels): Promise<boolean> {
    return this.local.deleteGroup(labels);
  }

  deleteGroups(groups: readonly GroupingLabels[]): Promise<number> {
    return this.local.deleteGroups(groups);
  }

  wipe(): Promise<number> {
    return this.local.wipe();
  }

  expire(items: readonly ExpireItem[]): Promise<boolean[]> {
    return this.local.expire(items);
  }

  close(): Promise<void> {
    return this.local.close();
  }
}

async function get(gw: InProcessGateway, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(gw.url + path);
  return { status: res.status, text: await res.text() };
}

describe('/-/ready follows the store writer', () => {
  let gw: InProcessGateway;
  let writer: GatedWriter;
  before(async () => {
    gw = await startInProcess({
      writer: (store) => {
        writer = new GatedWriter(store);
        return writer;
      },
    });
  });
  after(() => gw.close());

  it('answers 503 PGW_ERR_NOT_READY while the writer is not ready; /-/healthy stays 200', async () => {
    assert.deepEqual(await get(gw, '/-/ready'), {
      status: 503,
      text: 'store not ready: it is connecting or catching up\n',
    });
    assert.deepEqual(await get(gw, '/-/healthy'), { status: 200, text: 'OK' });
  });

  it('answers 200 OK once the writer is ready', async () => {
    writer.ready = true;
    assert.deepEqual(await get(gw, '/-/ready'), { status: 200, text: 'OK' });
  });

  it('counts both answers in pushgateway_http_requests_total', async () => {
    const metrics = (await get(gw, '/metrics')).text;
    assert.match(metrics, /^pushgateway_http_requests_total\{code="503",handler="ready",method="get"\} 1$/m);
    assert.match(metrics, /^pushgateway_http_requests_total\{code="200",handler="ready",method="get"\} 1$/m);
  });
});

describe('the embedded writer', () => {
  it('is ready as soon as the gateway listens', async () => {
    const gw = await startInProcess();
    try {
      assert.deepEqual(await get(gw, '/-/ready'), { status: 200, text: 'OK' });
    } finally {
      await gw.close();
    }
  });
});
