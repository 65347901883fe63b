import { defineErrors } from '../../core/errors';

/** The inventory plugin's error catalogue. */
export const InventoryErrors = defineErrors('inventory', {
  COLLECTION_NOT_FOUND: { status: 404, title: 'No such collection' },
  TITLE_NOT_FOUND: { status: 404, title: 'No such title' },
  CODE_TAKEN: { status: 409, title: 'Collection code already in use' },
  HAS_CHILDREN: { status: 409, title: 'Collection has sub-collections' },
  CYCLE: { status: 409, title: 'A collection cannot be moved under itself' },
});
