import { defineErrors } from '../../../core/errors';

/**
 * Errors of the metadata formats. A stored record that no longer parses is a server-side fault
 * (the inventory validated it when it was written), so it is a 500 the OAI-PMH layer can log and
 * skip; the message names the title.
 */
export const FormatErrors = defineErrors('oai-format', {
  STORED_RECORD_UNREADABLE: { status: 500, title: 'The stored record of a title cannot be read', level: 'error' },
});
