/**
 * Stored JPEG tiles recently sent, kept in memory up to a byte bound (least recently used go
 * first). A warm tile is then answered from memory without touching the pyramid file; the render
 * cache does not hold these, since they are already stored (in the pyramid) and cost no render.
 */
export class TileMemo {
  private readonly tiles = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const t = this.tiles.get(key);
    if (t) {
      this.tiles.delete(key);
      this.tiles.set(key, t);
    }
    return t;
  }

  set(key: string, tile: Buffer): void {
    if (this.maxBytes <= 0 || tile.length > this.maxBytes / 8) return;
    const old = this.tiles.get(key);
    if (old) this.bytes -= old.length;
    this.tiles.set(key, tile);
    this.bytes += tile.length;
    for (const [k, v] of this.tiles) {
      if (this.bytes <= this.maxBytes) break;
      this.tiles.delete(k);
      this.bytes -= v.length;
    }
  }

  /** Forget the tiles of one file (its content changed or it was deleted), or all. */
  forget(fileId?: string): void {
    for (const [k, v] of this.tiles) {
      if (fileId && !k.includes(`/${fileId}/`)) continue;
      this.tiles.delete(k);
      this.bytes -= v.length;
    }
  }
}
