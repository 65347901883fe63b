import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  StorageKeyError, StorageNotFoundError, type StorageConnector, type StoredObject,
} from '../../../core/storage';

/** What a contract run needs: a connector on an empty store, and a way to throw the store away. */
export interface ContractSubject {
  connector: StorageConnector;
  cleanup(): Promise<void>;
}

/** Knobs of a contract run. */
export interface ContractOptions {
  /** Size of the body of the large-upload test (default 64 MiB). */
  largeBodyBytes?: number;
  /** Keys put for the long-listing test (default 1005: more than one S3 page of 1000). */
  manyKeys?: number;
  /** Longest key the connector takes (default 1024; less where a key prefix counts against a limit). */
  maxKeyLength?: number;
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

/** Keys every connector refuses on every operation (connectors may refuse more). */
export const MALFORMED_KEYS: readonly string[] = [
  '', '/a', '//a', 'a//b', 'a/', '../x', 'a/../../x', '..', '.', 'a/./b', '.tmp', '.tmp/x',
  'x\0y', 'a\nb', 'tab\there', 'del\u007f', 'a\\b', 'x'.repeat(1025),
];

/** A stream of `total` random bytes, in `chunk`-sized pieces, and the sha256 of what it sent. */
export function randomBody(total: number, chunk = 256 * 1024): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  let sent = 0;
  let done: (hex: string) => void = () => undefined;
  const sha256 = new Promise<string>((resolve) => {
    done = resolve;
  });
  const stream = new Readable({
    read() {
      if (sent >= total) {
        done(hash.digest('hex'));
        this.push(null);
        return;
      }
      const piece = randomBytes(Math.min(chunk, total - sent));
      sent += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, sha256 };
}

/** sha256 and length of everything a stream yields, without holding it. */
export async function digestOf(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * A full garbage collection, so that memory samples count live Buffers only (without it, freed
 * parts pile up until V8 gets round to them and the figures say little). `--expose-gc` can be set
 * after start; the function then appears in new contexts.
 */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Run `fn` while sampling the live Buffer memory of this process; fn's value and the peak growth. */
export async function peakBufferGrowth<T>(fn: () => Promise<T>, everyMs = 20): Promise<{ value: T; peakGrowth: number }> {
  const gc = fullGc();
  const live = (): number => {
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  const base = live();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, live());
  }, everyMs);
  try {
    const value = await fn();
    return { value, peakGrowth: peak - base };
  } finally {
    clearInterval(timer);
  }
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
export function storageContract(name: string, make: () => Promise<ContractSubject>, options: ContractOptions = {}): void {
  const largeBodyBytes = options.largeBodyBytes ?? 64 * 1024 * 1024;
  const manyKeys = options.manyKeys ?? 1005;
  const maxKeyLength = options.maxKeyLength ?? 1024;
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

      it('reads the last byte with an open end', async function () {
        expect((await readAll(await s.get('r/alphabet.txt', { range: { start: 25 } }))).toString()).to.equal('z');
      });

      it('cuts an end beyond the object to the last byte', async function () {
        expect((await readAll(await s.get('r/alphabet.txt', { range: { start: 20, end: 1000 } }))).toString()).to.equal('uvwxyz');
        expect((await readAll(await s.get('r/alphabet.txt', { range: { start: 25, end: 26 } }))).toString()).to.equal('z');
      });

      it('rejects a range starting at or beyond the end with RangeError', async function () {
        for (const range of [{ start: 26 }, { start: 26, end: 30 }, { start: 1000 }]) {
          const err = await rejectionOf(s.get('r/alphabet.txt', { range }));
          expect(err, JSON.stringify(range)).to.be.instanceOf(RangeError);
        }
      });

      it('rejects malformed ranges with RangeError', async function () {
        for (const range of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }, { start: 0, end: 2.5 }]) {
          const err = await rejectionOf(s.get('r/alphabet.txt', { range }));
          expect(err, JSON.stringify(range)).to.be.instanceOf(RangeError);
        }
      });

      it('rejects any range over an empty object with RangeError, and reads it whole', async function () {
        await s.put('r/empty', Readable.from([]));
        expect(await rejectionOf(s.get('r/empty', { range: { start: 0 } }))).to.be.instanceOf(RangeError);
        expect((await readAll(await s.get('r/empty'))).length).to.equal(0);
      });

      it('rejects a range on a missing key with StorageNotFoundError', async function () {
        expect(await rejectionOf(s.get('r/missing.txt', { range: { start: 0, end: 1 } }))).to.be.instanceOf(StorageNotFoundError);
      });

      it('reads a range deep inside a larger object', async function () {
        const data = randomBytes(700 * 1024);
        await s.put('r/big.bin', Readable.from([data]));
        const got = await readAll(await s.get('r/big.bin', { range: { start: 123_457, end: 654_320 } }));
        expect(got.equals(data.subarray(123_457, 654_321))).to.equal(true);
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

      it('keeps the previous object when an overwrite is aborted midway', async function () {
        await s.put('w/keep.txt', body('previous'));
        const ac = new AbortController();
        const source = slowSource([randomBytes(32 * 1024)], { stall: true });
        source.once('data', () => setTimeout(() => ac.abort(), 20));
        const err = await rejectionOf(s.put('w/keep.txt', source, { signal: ac.signal }));
        expect(err.name).to.equal('AbortError');
        expect((await readAll(await s.get('w/keep.txt'))).toString()).to.equal('previous');
        expect(await listKeys(s, '')).to.deep.equal(['w/keep.txt']);
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

      it('rejects moving a missing key with StorageNotFoundError, touching nothing', async function () {
        await s.put('m/there', body('here'));
        expect(await rejectionOf(s.move('m/not-there', 'm/there'))).to.be.instanceOf(StorageNotFoundError);
        expect((await readAll(await s.get('m/there'))).toString()).to.equal('here');
        expect(await listKeys(s, '')).to.deep.equal(['m/there']);
      });

      it('keeps an object moved onto itself', async function () {
        await s.put('m/self', body('self'));
        await s.move('m/self', 'm/self');
        expect((await readAll(await s.get('m/self'))).toString()).to.equal('self');
        expect(await listKeys(s, '')).to.deep.equal(['m/self']);
      });

      it('moves keys holding characters that URLs reserve', async function () {
        const from = 'm/a+b&c=d;e,f@g$h#i?j%20k l~(1)!\'*.txt';
        const to = 'm/ü+ber&ä=ö;#?%2F.txt';
        await s.put(from, body('reserved'));
        await s.move(from, to);
        expect(await s.head(from)).to.equal(null);
        expect((await readAll(await s.get(to))).toString()).to.equal('reserved');
        expect(await listKeys(s, 'm/')).to.deep.equal([to]);
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

      it('yields each key once for a prefix that is not a whole segment', async function () {
        expect(await listKeys(s, 'lib')).to.deep.equal(['lib/a.txt', 'lib/sub/b.txt', 'lib/sub/deeper/c.txt', 'lib2/x.txt', 'library.txt']);
      });

      it('rejects a listing whose signal is aborted', async function () {
        const ac = new AbortController();
        ac.abort();
        const err = await rejectionOf((async () => {
          for await (const _o of s.list('', { signal: ac.signal })) { /* drain */ }
        })());
        expect(err.name).to.equal('AbortError');
      });
    });

    describe('keys', function () {
      it('refuses malformed keys with StorageKeyError on every operation, storing nothing', async function () {
        await s.put('inside.txt', body('inside'));
        const ops: [string, (key: string) => Promise<unknown>][] = [
          ['put', (key) => s.put(key, body('escaped'))],
          ['get', (key) => s.get(key)],
          ['head', (key) => s.head(key)],
          ['delete', (key) => s.delete(key)],
          ['move (from)', (key) => s.move(key, 'moved.txt')],
          ['move (to)', (key) => s.move('inside.txt', key)],
        ];
        for (const [op, run] of ops) {
          for (const key of MALFORMED_KEYS) {
            const err = await rejectionOf(run(key));
            expect(err, `${op}(${JSON.stringify(key)})`).to.be.instanceOf(StorageKeyError);
          }
        }
        expect(await listKeys(s, '')).to.deep.equal(['inside.txt']);
        expect((await readAll(await s.get('inside.txt'))).toString()).to.equal('inside');
      });

      it(`accepts a key of ${maxKeyLength} characters`, async function () {
        // Segments of 100 (file systems limit a name to 255 bytes, not a path).
        let key = 'long';
        while (key.length < maxKeyLength) key += `/${'k'.repeat(Math.min(100, maxKeyLength - key.length - 1))}`;
        expect(key.length).to.equal(maxKeyLength);
        await s.put(key, body('long'));
        expect((await s.head(key))?.size).to.equal(4);
        expect(await listKeys(s, 'long/')).to.deep.equal([key]);
      });
    });

    describe('cancelling reads', function () {
      it('ends a get stream with an AbortError when its signal aborts midway', async function () {
        await s.put('c/big.bin', Readable.from([randomBytes(2 * 1024 * 1024)]));
        const ac = new AbortController();
        const stream = await s.get('c/big.bin', { signal: ac.signal });
        let got = 0;
        const err = await rejectionOf((async () => {
          for await (const chunk of stream) {
            got += (chunk as Buffer).length;
            ac.abort();
          }
        })());
        expect(err.name).to.equal('AbortError');
        expect(got).to.be.greaterThan(0).and.lessThan(2 * 1024 * 1024);
      });

      it('rejects a get whose signal is already aborted', async function () {
        await s.put('c/small.txt', body('small'));
        const ac = new AbortController();
        ac.abort();
        const err = await rejectionOf((async () => readAll(await s.get('c/small.txt', { signal: ac.signal })))());
        expect(err.name).to.equal('AbortError');
      });
    });

    describe('volume', function () {
      it(`stores a ${Math.round(largeBodyBytes / 1024 / 1024)} MiB stream intact without holding it in memory`, async function () {
        this.timeout(120_000);
        const { stream, sha256 } = randomBody(largeBodyBytes);
        const { value: stored, peakGrowth } = await peakBufferGrowth(() => s.put('v/large.bin', stream, { contentType: 'application/octet-stream' }));
        expect(stored.size).to.equal(largeBodyBytes);
        expect((await s.head('v/large.bin'))?.size).to.equal(largeBodyBytes);
        // The whole body never sat in memory at once (buffers of the parts in flight may).
        expect(peakGrowth, `peak Buffer growth ${peakGrowth} bytes`).to.be.lessThan(largeBodyBytes);
        const back = await digestOf(await s.get('v/large.bin'));
        expect(back.size).to.equal(largeBodyBytes);
        expect(back.sha256).to.equal(await sha256);
        const tail = await readAll(await s.get('v/large.bin', { range: { start: largeBodyBytes - 10 } }));
        expect(tail.length).to.equal(10);
      });

      it('takes concurrent puts of distinct keys', async function () {
        const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(1024 + i * 997));
        const stored = await Promise.all(bodies.map((b, i) => s.put(`p/${String(i).padStart(2, '0')}.bin`, Readable.from([b.subarray(0, 500), b.subarray(500)]))));
        expect(stored.map((o) => o.size)).to.deep.equal(bodies.map((b) => b.length));
        expect(await listKeys(s, 'p/')).to.have.length(bodies.length);
        for (const [i, b] of bodies.entries()) {
          expect((await readAll(await s.get(`p/${String(i).padStart(2, '0')}.bin`))).equals(b), `p/${i}`).to.equal(true);
        }
      });

      it(`lists all of ${manyKeys} keys, each once`, async function () {
        this.timeout(120_000);
        const keys = Array.from({ length: manyKeys }, (_, i) => `many/${String(i).padStart(5, '0')}`);
        for (let i = 0; i < keys.length; i += 25) {
          await Promise.all(keys.slice(i, i + 25).map((k) => s.put(k, body('x'))));
        }
        await s.put('manyother', body('not under the prefix'));
        const listed = await listKeys(s, 'many/');
        expect(listed).to.have.length(manyKeys);
        expect(listed).to.deep.equal(keys);
      });
    });
  });
}
