/** Nested messages of one screen. */
export type Tree = { [key: string]: string | Tree };

/** A screen's messages in both languages; `key` in `$_('screen.key')` is relative to it. */
export interface Messages {
  en: Tree;
  'pt-BR': Tree;
}

/** Both languages with the same keys (pt-BR checked against en's shape). */
export function messages<T extends Tree>(en: T, ptBR: Shape<T>): Messages {
  return { en, 'pt-BR': ptBR };
}

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
