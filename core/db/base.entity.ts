import { randomUUID } from 'node:crypto';
import { BeforeInsert, BeforeUpdate, Column, PrimaryColumn } from 'typeorm';

/**
 * Timestamps are set by the application, in UTC with milliseconds, so SQLite and MariaDB
 * store the same values without engine-specific column defaults.
 */
export const timestamp = { type: 'datetime', precision: 3 } as const;

/** `bigint` comes back from mysql2 as a string; sizes and sequences fit a JS number. */
export const bigintNumber = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/** Shared base of the core's entities: a UUID id and creation/update times. */
export abstract class ColophonEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ ...timestamp, name: 'created_at' })
  createdAt: Date;

  @Column({ ...timestamp, name: 'updated_at' })
  updatedAt: Date;

  @BeforeInsert()
  protected beforeInsertBase(): void {
    this.id ??= randomUUID();
    const now = new Date();
    this.createdAt ??= now;
    this.updatedAt = now;
  }

  @BeforeUpdate()
  protected beforeUpdateBase(): void {
    this.updatedAt = new Date();
  }
}
