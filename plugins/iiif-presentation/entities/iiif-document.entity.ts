import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestamp } from '../../../core/db/base.entity';

/**
 * A built IIIF document (manifest or collection), kept until a change to its sources removes
 * it: a request never rebuilds a document whose sources have not changed. Rows are removed in
 * the transaction of the change (titles) or right after it (profiles, collections).
 */
@Entity('iiif_document')
@Index('idx_iiif_document_title', ['titleId'])
@Index('idx_iiif_document_kind', ['kind'])
export class IiifDocument {
  /** kind/version/id[/page], e.g. "manifest/3/<representation id>". */
  @PrimaryColumn({ type: 'varchar', length: 191 })
  key: string;

  /** manifest | collection | title-collection | top */
  @Column({ type: 'varchar', length: 32 })
  kind: string;

  /** The title the document is built from, if one (its changes remove the document). */
  @Column({ type: 'varchar', length: 36, name: 'title_id', nullable: true })
  titleId: string | null;

  /** Settings the document was built with (provider, base URL, builder version). */
  @Column({ type: 'varchar', length: 64 })
  build: string;

  @Column({ type: 'varchar', length: 64 })
  etag: string;

  @Column({ type: 'text' })
  json: string;

  @Column({ ...timestamp, name: 'built_at' })
  builtAt: Date;
}
