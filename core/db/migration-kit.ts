import { type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * Column builders for migrations that run on SQLite and MariaDB alike. Migrations use
 * TypeORM's Table API rather than raw SQL; the few types that differ between the engines are
 * chosen here from the connection the migration runs on.
 */
export class MigrationKit {
  readonly mysql: boolean;
  constructor(qr: QueryRunner) {
    this.mysql = ['mysql', 'mariadb'].includes(qr.connection.options.type);
  }

  id(name = 'id'): TableColumnOptions {
    return { name, type: 'varchar', length: '36', isPrimary: true };
  }
  /** Auto-increment bigint primary key (a monotonic sequence). */
  seq(name = 'seq'): TableColumnOptions {
    return this.mysql
      ? { name, type: 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }
      : { name, type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
  }
  ref(name: string, nullable = false): TableColumnOptions {
    return { name, type: 'varchar', length: '36', isNullable: nullable };
  }
  varchar(name: string, length: number, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'varchar', length: String(length), isNullable: false, ...opts };
  }
  text(name: string, nullable = false): TableColumnOptions {
    return { name, type: 'text', isNullable: nullable };
  }
  /** Unbounded text: MariaDB's TEXT stops at 64 KiB, too small for a MARC record or JSON. */
  longText(name: string, nullable = false): TableColumnOptions {
    return { name, type: this.mysql ? 'longtext' : 'text', isNullable: nullable };
  }
  bool(name: string, dflt: boolean): TableColumnOptions {
    return { name, type: 'boolean', isNullable: false, default: dflt ? 1 : 0 };
  }
  int(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'integer', isNullable: false, ...opts };
  }
  bigint(name: string, nullable = false): TableColumnOptions {
    return { name, type: 'bigint', isNullable: nullable };
  }
  double(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: 'double', isNullable: false, ...opts };
  }
  /** UTC time with milliseconds. */
  time(name: string, nullable = false): TableColumnOptions {
    return { name, type: 'datetime', precision: this.mysql ? 3 : undefined, isNullable: nullable };
  }
  createdUpdated(): TableColumnOptions[] {
    return [this.time('created_at'), this.time('updated_at')];
  }
}
