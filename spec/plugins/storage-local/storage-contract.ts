import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  StorageNotFoundError, type StorageConnector, type StoredObject,
} from '../../../core/storage';

/** What a contract run needs: a connector on an empty store, and a way to throw the store away. */
export interface ContractSubject {
  connector: StorageConnector;
  cleanup(): Promise<void>;
}

/** Read a stream to one buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** Every key a listing yields, sorted. */
export async function listKeys(connector: StorageConnector, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of connector.list(prefix)) keys.push(o.key);
  return keys.sort();
}

/** The rejection of a promise that must reject (fails the spec when it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  expect.fail('expected the promise to reject');
}

const body = (data: Buffer | string): Readable => Readable.from([Buffer.from(data)]);
const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A source that sends `chunks` (one per read, with a pause between them) and then either ends,
 * fails with `failWith`, or stalls until destroyed (when `stall` is set).
 */
function slowSource(chunks: Buffer[], opts: { failWith?: Error; stall?: boolean; pauseMs?: number } = {}): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i < chunks.length) {
        const chunk = chunks[i++];
        setTimeout(() => this.push(chunk), opts.pauseMs ?? 5);
        return;
      }
      if (opts.failWith) {
        const err = opts.failWith;
        setTimeout(() => this.destroy(err), opts.pauseMs ?? 5);
        return;
      }
      if (!opts.stall) this.push(null);
    },
  });
}

/**
 * The storage contract (core/storage/storage-connector.ts) as a suite every connector runs:
 * `storageContract('LocalStorageConnector', async () => ({ connector, cleanup }))`. `make` is
 * called before each test and must give a connector on an empty store.
 */
export function storageContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`${name} (storage contract)`, function () {
    let subject: ContractSubject | undefined;
    let s: StorageConnector;

    beforeEach(async function () {
      subject = await make();
      s = subject.connector;
    });

    afterEach(async function () {
      await subject?.cleanup();
      subject = undefined;
    });

    describe('put and get', function () {
      it('returns the bytes that were put, unchanged', async function () {
        const data = randomBytes(300 * 1024 + 17);
        // Several chunks, so the connector sees a real stream rather than one buffer.
        const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
        const stored = await s.put('blobs/random.bin', Readable.from(chunks), { contentType: 'application/octet-stream' });
        expect(stored.key).to.equal('blobs/random.bin');
        expect(stored.size).to.equal(data.length);
        const back = await readAll(await s.get('blobs/random.bin'));
        expect(back.length).to.equal(data.length);
        expect(back.equals(data)).to.equal(true);
      });

      it('stores an empty object', async function () {
        await s.put('empty', Readable.from([]));
        expect((await s.head('empty'))?.size).to.equal(0);
        expect((await readAll(await s.get('empty'))).length).to.equal(0);
      });

      it('rejects get of a missing key with StorageNotFoundError', async function () {
        const err = await rejectionOf(s.get('nope/missing.bin'));
        expect(err).to.be.instanceOf(StorageNotFoundError);
      });

      it('works with keys holding unicode and spaces', async function () {
        const key = 'dir with space/Ünïcødé 文件 – ok.txt';
        await s.put(key, body('héllo wörld'));
        expect((await readAll(await s.get(key))).toString('utf8')).to.equal('héllo wörld');
        expect((await s.head(key))?.size).to.equal(Buffer.byteLength('héllo wörld'));
        expect(await listKeys(s, 'dir with space/')).to.deep.equal([key]);
        await s.delete(key);
        expect(await s.head(key)).to.equal(null);
      });
    });

    describe('head', function () {
      it('gives the size of a stored object', async function () {
        await s.put('h/one.txt', body('0123456789'));
        const h = await s.head('h/one.txt');
        expect(h).to.not.equal(null);
        expect(h?.key).to.equal('h/one.txt');
        expect(h?.size).to.equal(10);
      });

      it('gives null for a missing key', async function () {
        expect(await s.head('h/missing.txt')).to.equal(null);
      });
    });

    describe('ranged reads', function () {
      const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
      beforeEach(async function () {
        await s.put('r/alphabet.txt', body(data));
      });

      it('reads from a start offset to the end', async function () {
        const got = await readAll(await s.get('r/alphabet.txt', { range: { start: 20 } }));
        expect(got.toString()).to.equal('uvwxyz');
      });

      it('reads an inclusive start..end range', async function () {
        const got = await readAll(await s.get('r/alphabet.txt', { range: { start: 2, end: 5 } }));
        expect(got.toString()).to.equal('cdef');
      });

      it('reads a single byte', async function () {
        expect((await readAll(await s.get('r/alphabet.txt', { range: { start: 0, end: 0 } }))).toString()).to.equal('a');
        expect((await readAll(await s.get('r/alphabet.txt', { range: { start: 25, end: 25 } }))).toString()).to.equal('z');
      });
    });

    describe('atomic writes', function () {
      it('overwrites an existing object', async function () {
        await s.put('w/doc.txt', body('first version'));
        await s.put('w/doc.txt', body('second'));
        expect((await readAll(await s.get('w/doc.txt'))).toString()).to.equal('second');
        expect((await s.head('w/doc.txt'))?.size).to.equal(6);
        expect(await listKeys(s, '')).to.deep.equal(['w/doc.txt']);
      });

      it('keeps showing the old object while an overwrite is still arriving', async function () {
        await s.put('w/doc.txt', body('old'));
        const release: { fn?: () => void } = {};
        let sent = false;
        const source = new Readable({
          read() {
            if (!sent) {
              sent = true;
              this.push(Buffer.from('new-partial-'));
              return;
            }
            release.fn = () => {
              this.push(Buffer.from('and-complete'));
              this.push(null);
            };
          },
        });
        const pending = s.put('w/doc.txt', source);
        await tick(50);
        // Half-way through the new body, readers still see the whole old object.
        expect((await readAll(await s.get('w/doc.txt'))).toString()).to.equal('old');
        expect((await s.head('w/doc.txt'))?.size).to.equal(3);
        expect(release.fn).to.be.a('function');
        release.fn?.();
        await pending;
        expect((await readAll(await s.get('w/doc.txt'))).toString()).to.equal('new-partial-and-complete');
      });

      it('rejects a put whose source fails midway and leaves nothing under the key', async function () {
        const source = slowSource([randomBytes(64 * 1024), randomBytes(64 * 1024)], { failWith: new Error('source broke') });
        const err = await rejectionOf(s.put('w/broken.bin', source));
        expect(err.message).to.contain('source broke');
        expect(await s.head('w/broken.bin')).to.equal(null);
        expect(await rejectionOf(s.get('w/broken.bin'))).to.be.instanceOf(StorageNotFoundError);
        expect(await listKeys(s, '')).to.deep.equal([]);
      });

      it('keeps the previous object when an overwrite fails midway', async function () {
        await s.put('w/keep.txt', body('previous'));
        const source = slowSource([Buffer.from('replacement that never ')], { failWith: new Error('source broke') });
        await rejectionOf(s.put('w/keep.txt', source));
        expect((await readAll(await s.get('w/keep.txt'))).toString()).to.equal('previous');
        expect(await listKeys(s, '')).to.deep.equal(['w/keep.txt']);
      });

      it('rejects a put aborted through its AbortSignal midway and leaves nothing', async function () {
        const ac = new AbortController();
        const source = slowSource([randomBytes(32 * 1024)], { stall: true });
        source.once('data', () => setTimeout(() => ac.abort(), 20));
        const pending = s.put('w/aborted.bin', source, { signal: ac.signal });
        await rejectionOf(pending);
        expect(ac.signal.aborted).to.equal(true);
        expect(await s.head('w/aborted.bin')).to.equal(null);
        expect(await listKeys(s, '')).to.deep.equal([]);
      });

      it('rejects a put whose signal is already aborted and leaves nothing', async function () {
        const ac = new AbortController();
        ac.abort();
        await rejectionOf(s.put('w/never.bin', body('x'), { signal: ac.signal }));
        expect(await s.head('w/never.bin')).to.equal(null);
        expect(await listKeys(s, '')).to.deep.equal([]);
      });
    });

    describe('move and delete', function () {
      it('moves an object to another key', async function () {
        await s.put('m/from.txt', body('moving'));
        await s.move('m/from.txt', 'm/elsewhere/to.txt');
        expect(await s.head('m/from.txt')).to.equal(null);
        expect((await readAll(await s.get('m/elsewhere/to.txt'))).toString()).to.equal('moving');
        expect(await listKeys(s, '')).to.deep.equal(['m/elsewhere/to.txt']);
      });

      it('moves over an existing object, replacing it', async function () {
        await s.put('m/a', body('aaa'));
        await s.put('m/b', body('b'));
        await s.move('m/a', 'm/b');
        expect((await readAll(await s.get('m/b'))).toString()).to.equal('aaa');
        expect(await listKeys(s, '')).to.deep.equal(['m/b']);
      });

      it('deletes an object', async function () {
        await s.put('d/gone.txt', body('bye'));
        await s.put('d/stays.txt', body('hi'));
        await s.delete('d/gone.txt');
        expect(await s.head('d/gone.txt')).to.equal(null);
        expect(await rejectionOf(s.get('d/gone.txt'))).to.be.instanceOf(StorageNotFoundError);
        expect(await listKeys(s, '')).to.deep.equal(['d/stays.txt']);
      });

      it('deletes a missing key without complaint', async function () {
        await s.delete('d/never-was.txt');
        await s.delete('d/never-was.txt');
        expect(await s.head('d/never-was.txt')).to.equal(null);
      });
    });

    describe('list', function () {
      const keys = ['lib/a.txt', 'lib/sub/b.txt', 'lib/sub/deeper/c.txt', 'library.txt', 'lib2/x.txt', 'other/lib/y.txt', 'top.txt'];
      beforeEach(async function () {
        for (const k of keys) await s.put(k, body(k));
      });

      it('yields every key for an empty prefix', async function () {
        expect(await listKeys(s, '')).to.deep.equal([...keys].sort());
      });

      it('yields exactly the keys under a prefix', async function () {
        expect(await listKeys(s, 'lib/')).to.deep.equal(['lib/a.txt', 'lib/sub/b.txt', 'lib/sub/deeper/c.txt']);
        expect(await listKeys(s, 'lib/sub/')).to.deep.equal(['lib/sub/b.txt', 'lib/sub/deeper/c.txt']);
        expect(await listKeys(s, 'other/')).to.deep.equal(['other/lib/y.txt']);
        expect(await listKeys(s, 'nothing/')).to.deep.equal([]);
      });

      it('gives each listed object its size', async function () {
        const seen: StoredObject[] = [];
        for await (const o of s.list('lib/sub/')) seen.push(o);
        expect(seen).to.have.length(2);
        for (const o of seen) expect(o.size).to.equal(Buffer.byteLength(o.key));
      });
    });
  });
}
