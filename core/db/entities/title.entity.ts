import { Column, Entity, Index, JoinTable, ManyToMany, OneToMany } from 'typeorm';
import { ColophonEntity, timestamp } from '../base.entity';
import type { Collection } from './collection.entity';
import type { Representation } from './representation.entity';

export const SOURCE_FORMATS = ['marc21', 'dc', 'mods'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** Normalized Dublin Core: element name (title, creator, ...) to its values. */
export type DublinCore = Partial<Record<DcElement, string[]>>;
export const DC_ELEMENTS = [
  'title', 'creator', 'subject', 'description', 'publisher', 'contributor', 'date', 'type',
  'format', 'identifier', 'source', 'language', 'relation', 'coverage', 'rights',
] as const;
export type DcElement = (typeof DC_ELEMENTS)[number];

/** The bibliographic record of a digital title. Its id is its stable local identifier. */
@Entity('title')
@Index('idx_title_datestamp_id', ['datestamp', 'id'])
export class Title extends ColophonEntity {
  @Column({ type: 'varchar', length: 16, name: 'source_format' })
  sourceFormat: SourceFormat;

  /** The record as received (MARCXML for MARC21, oai_dc XML or JSON for DC, MODS XML). */
  @Column({ type: 'text', name: 'source_record' })
  sourceRecord: string;

  /** Identifier carried by the source record (MARC 001, dc:identifier), if any. */
  @Index()
  @Column({ type: 'varchar', length: 255, name: 'source_id', nullable: true })
  sourceId: string | null;

  @Column({ type: 'simple-json' })
  dc: DublinCore;

  /** First dc:title, kept for sorting and listing. */
  @Column({ type: 'varchar', length: 1000, name: 'display_title' })
  displayTitle: string;

  @Column({ type: 'boolean', default: false })
  suppressed: boolean;

  /** Changes whenever anything this title disseminates changes (see core/db/unit-of-work). */
  @Column({ ...timestamp })
  datestamp: Date;

  @ManyToMany('Collection', 'titles')
  @JoinTable({
    name: 'title_collection',
    joinColumn: { name: 'title_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'collection_id', referencedColumnName: 'id' },
  })
  collections?: Collection[];

  @OneToMany('Representation', 'title')
  representations?: Representation[];
}
