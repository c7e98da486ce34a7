// Route schemas that many modules' routes share: the ids that name things in paths and bodies.
import { Type } from 'typebox';

/** An id as a caller sends it ("ord_01J…"): opaque to validation beyond its length; an unknown one is a 404. */
export const Id = Type.String({ minLength: 1, maxLength: 64 });

/** The path parameters of `/things/:id`. */
export const IdParams = Type.Object({ id: Id });

/** The path parameters of `/shops/:shopId/…`. */
export const ShopParams = Type.Object({ shopId: Id });
