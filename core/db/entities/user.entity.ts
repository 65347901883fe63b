import { Column, Entity, Index } from 'typeorm';
import { ColophonEntity } from '../base.entity';

/** A staff member or patron. Staff roles decide the staff API; groups feed access rights rules. */
@Entity('app_user')
export class User extends ColophonEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 255 })
  username: string;

  @Column({ type: 'varchar', length: 255, name: 'display_name', default: '' })
  displayName: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  email: string | null;

  /** scrypt$N$r$p$salt$hash, or null for users who sign in elsewhere. */
  @Column({ type: 'varchar', length: 255, name: 'password_hash', nullable: true })
  passwordHash: string | null;

  /** User group codes (for access rights rules). */
  @Column({ type: 'simple-json' })
  groups: string[];

  /** Staff role ids (kebab-case, see core/auth/roles). */
  @Column({ type: 'simple-json' })
  roles: string[];

  @Column({ type: 'boolean', default: true })
  active: boolean;
}
