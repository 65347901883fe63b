import { Column, Entity, Index } from 'typeorm';
import { ColophonEntity } from '../base.entity';

/** One rule; the first rule whose conditions all match decides (allow or deny). */
export interface AccessRule {
  effect: 'allow' | 'deny';
  /** User group code (e.g. "staff", "faculty"); absent means any group. */
  userGroup?: string;
  /** IPv4/IPv6 CIDR range (e.g. "192.0.2.0/24"); absent means any address. */
  ipRange?: string;
  /** true: only signed-in users; false: only anonymous; absent: either. */
  authenticated?: boolean;
}

/** Who may see a representation: ordered allow/deny rules, as Alma's access rights policies. */
@Entity('access_rights_profile')
export class AccessRightsProfile extends ColophonEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'simple-json' })
  rules: AccessRule[];

  /** Shown to users with the content (IIIF requiredStatement). */
  @Column({ type: 'text', name: 'copyright_statement', nullable: true })
  copyrightStatement: string | null;

  /** A rights URI (Creative Commons or RightsStatements.org), for IIIF `rights`. */
  @Column({ type: 'varchar', length: 255, name: 'rights_uri', nullable: true })
  rightsUri: string | null;

  /** Shown when access is denied. */
  @Column({ type: 'text', name: 'denied_note', nullable: true })
  deniedNote: string | null;

  /** The profile used by representations that name none; exactly one is the default. */
  @Column({ type: 'boolean', name: 'is_default', default: false })
  isDefault: boolean;
}
