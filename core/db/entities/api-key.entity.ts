import { Column, Entity, Index } from 'typeorm';
import { ColophonEntity, timestamp } from '../base.entity';

/** An API key. Only a SHA-256 of the secret is stored; the prefix finds the row. */
@Entity('api_key')
export class ApiKey extends ColophonEntity {
  /** Public part of the key (`col_<prefix>_<secret>`), unique. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 32 })
  prefix: string;

  /** Hex SHA-256 of the whole key. */
  @Column({ type: 'varchar', length: 64, name: 'key_hash' })
  keyHash: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  name: string;

  @Column({ type: 'simple-json' })
  roles: string[];

  @Column({ type: 'varchar', length: 36, name: 'user_id', nullable: true })
  userId: string | null;

  @Column({ ...timestamp, name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ ...timestamp, name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column({ ...timestamp, name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
