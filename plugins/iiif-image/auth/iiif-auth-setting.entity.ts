import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Small persistent settings of the Authorization Flow services (the sealing key when none is configured). */
@Entity('iiif_auth_setting')
export class IiifAuthSetting {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text' })
  value: string;
}
