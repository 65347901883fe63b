import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { StorageKeyError, type StorageConnector } from '../../../core/storage';
import { LocalStorageConnector } from '../../../plugins/storage-local';
import { listKeys, rejectionOf, storageContract } from './storage-contract';

/** A sandbox directory holding the store's root, so escapes land somewhere we can look. */
function sandbox(): { parent: string; root: string } {
  const parent = mkdtempSync(join(tmpdir(), 'colophon-storage-spec-'));
  return { parent, root: join(parent, 'root') };
}

storageContract('LocalStorageConnector', async () => {
  const { parent, root } = sandbox();
  const connector: StorageConnector = LocalStorageConnector.fromConfig({ id: 'local', root });
  await connector.init?.();
  return {
    connector,
    cleanup: async () => {
      await connector.destroy?.();
      rmSync(parent, { recursive: true, force: true });
    },
  };
});

describe('LocalStorageConnector', function () {
  describe('keys that could leave the root', function () {
    let parent: string;
    let root: string;
    let connector: LocalStorageConnector;
    // Files beside the root where an escaping key would land: they must survive untouched.
    const sentinels = ['x', 'b', 'passwd'];

    before(async function () {
      ({ parent, root } = sandbox());
      connector = LocalStorageConnector.fromConfig({ id: 'local', root });
      await connector.init();
      for (const name of sentinels) writeFileSync(join(parent, name), `sentinel ${name}`);
    });

    after(function () {
      rmSync(parent, { recursive: true, force: true });
    });

    // '/etc/passwd' is only ever read here: a connector that let it through on put or delete
    // would clobber the host. The absolute key inside the sandbox covers the writes.
    const readOnlyKeys = ['/etc/passwd'];
    const badKeys = (): string[] => [
      '../x', 'a/../../x', 'a//b', 'a\\..\\b', '.tmp/x', 'a/./b', '', 'x\0y',
      '..', '.', '.tmp', 'a/', '/a', join(parent, 'passwd'), '../root/a',
    ];

    const ops: [string, (key: string) => Promise<unknown>][] = [
      ['put', (key) => connector.put(key, Readable.from([Buffer.from('escaped')]))],
      ['get', (key) => connector.get(key)],
      ['head', (key) => connector.head(key)],
      ['delete', (key) => connector.delete(key)],
      ['move (from)', (key) => connector.move(key, 'inside.txt')],
      ['move (to)', (key) => connector.move('inside.txt', key)],
    ];

    for (const [op, run] of ops) {
      it(`${op} throws StorageKeyError for each escaping or malformed key`, async function () {
        await connector.put('inside.txt', Readable.from([Buffer.from('inside')]));
        const keys = [...badKeys(), ...(op === 'get' || op === 'head' ? readOnlyKeys : [])];
        for (const key of keys) {
          const err = await rejectionOf(run(key));
          expect(err, `${op}(${JSON.stringify(key)})`).to.be.instanceOf(StorageKeyError);
        }
        expect((await connector.head('inside.txt'))?.size).to.equal(6);
      });
    }

    it('never created, changed or removed a file outside the root', async function () {
      expect(readdirSync(parent).sort()).to.deep.equal(['b', 'passwd', 'root', 'x']);
      for (const name of sentinels) expect(readFileSync(join(parent, name), 'utf8')).to.equal(`sentinel ${name}`);
      expect(existsSync(join(root, 'a'))).to.equal(false);
      expect(await listKeys(connector, '')).to.deep.equal(['inside.txt']);
    });
  });

  describe('init', function () {
    it('creates the root directory', async function () {
      const { parent, root } = sandbox();
      try {
        const connector = LocalStorageConnector.fromConfig({ id: 'local', root });
        expect(connector.id).to.equal('local');
        await connector.init();
        expect(existsSync(root)).to.equal(true);
        expect(await listKeys(connector, '')).to.deep.equal([]);
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    });
  });
});
