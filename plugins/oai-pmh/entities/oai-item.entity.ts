import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestamp } from '../../../core/db/base.entity';

/**
 * What OAI-PMH publishes of a title: its datestamp, whether it is deleted (persistently: the
 * row outlives the title), and its sets. Kept in step with the titles inside each unit of work.
 */
@Entity('oai_item')
@Index('idx_oai_item_datestamp', ['datestamp', 'titleId'])
export class OaiItem {
  @PrimaryColumn({ type: 'varchar', length: 36, name: 'title_id' })
  titleId: string;

  @Column({ ...timestamp })
  datestamp: Date;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  /** setSpecs of the header, JSON. */
  @Column({ type: 'text', name: 'set_specs' })
  setSpecs: string;
}

/** Set membership, with the item's datestamp, so a set's page is one index range. */
@Entity('oai_item_set')
@Index('idx_oai_item_set_range', ['setSpec', 'datestamp', 'titleId'])
export class OaiItemSet {
  @PrimaryColumn({ type: 'varchar', length: 36, name: 'title_id' })
  titleId: string;

  @PrimaryColumn({ type: 'varchar', length: 255, name: 'set_spec' })
  setSpec: string;

  @Column({ ...timestamp })
  datestamp: Date;
}

/** The serialized metadata of a live item in one format, made when the title changed. */
@Entity('oai_record')
@Index('idx_oai_record_prefix_title', ['prefix', 'titleId'])
export class OaiRecord {
  @PrimaryColumn({ type: 'varchar', length: 36, name: 'title_id' })
  titleId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  prefix: string;

  @Column({ type: 'text' })
  xml: string;
}

/** Small persistent settings of the plugin (the token signing key when none is configured). */
@Entity('oai_setting')
export class OaiSetting {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text' })
  value: string;
}
