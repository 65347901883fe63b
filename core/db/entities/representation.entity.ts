import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany } from 'typeorm';
import { ColophonEntity } from '../base.entity';
import type { AccessRightsProfile } from './access-rights-profile.entity';
import type { DigitalFile } from './digital-file.entity';
import type { Title } from './title.entity';

export const USAGE_TYPES = ['primary', 'derivative'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];

/** A copy of a title's content: local files in a storage connector, or remote in another repository. */
@Entity('representation')
export class Representation extends ColophonEntity {
  @Index()
  @Column({ type: 'varchar', length: 36, name: 'title_id' })
  titleId: string;

  @ManyToOne('Title', 'representations', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'title_id' })
  title?: Title;

  @Column({ type: 'varchar', length: 16, name: 'usage_type' })
  usageType: UsageType;

  @Column({ type: 'varchar', length: 500, default: '' })
  label: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @Column({ type: 'boolean', default: false })
  remote: boolean;

  /** Remote repository code (e.g. another Alma or DSpace instance). */
  @Column({ type: 'varchar', length: 255, name: 'remote_repository', nullable: true })
  remoteRepository: string | null;

  /** Linking parameters substituted into the remote repository's delivery URL template. */
  @Column({ type: 'simple-json', name: 'linking_parameters', nullable: true })
  linkingParameters: Record<string, string> | null;

  @Column({ type: 'varchar', length: 255, name: 'originating_record_id', nullable: true })
  originatingRecordId: string | null;

  @Column({ type: 'varchar', length: 2048, name: 'delivery_url', nullable: true })
  deliveryUrl: string | null;

  @Column({ type: 'varchar', length: 2048, name: 'thumbnail_url', nullable: true })
  thumbnailUrl: string | null;

  /** Storage connector holding local files (a plugin-contributed connector id). */
  @Column({ type: 'varchar', length: 64, name: 'storage_connector_id', nullable: true })
  storageConnectorId: string | null;

  /** Null means the default access rights profile. */
  @Column({ type: 'varchar', length: 36, name: 'access_rights_profile_id', nullable: true })
  accessRightsProfileId: string | null;

  @ManyToOne('AccessRightsProfile', { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'access_rights_profile_id' })
  accessRightsProfile?: AccessRightsProfile | null;

  /** A IIIF manifest the remote repository publishes for this representation. */
  @Column({ type: 'varchar', length: 2048, name: 'remote_manifest_url', nullable: true })
  remoteManifestUrl: string | null;

  /** A staff-supplied thumbnail (in the representation's storage connector); wins over generated ones. */
  @Column({ type: 'varchar', length: 1024, name: 'thumbnail_key', nullable: true })
  thumbnailKey: string | null;

  @Column({ type: 'text', name: 'public_note', nullable: true })
  publicNote: string | null;

  @OneToMany('DigitalFile', 'representation')
  files?: DigitalFile[];
}
