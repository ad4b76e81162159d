// Type-level assertions for the consumer files. Nothing here runs: the
// consumer project is only ever type-checked (tsc --noEmit).

/** true when A and B are the same type (not merely assignable either way;
 *  `any` equals only `any`). */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when T is `true`: `expectTrue<Equals<typeof x, number>>()`. */
// biome-ignore lint/suspicious/noConfusingVoidType: a type-level assertion with no value
export function expectTrue<T extends true>(): T | void {}

/** A typed array type with its buffer type argument dropped (`Float64Array<ArrayBuffer>`
 *  → `Float64Array`), other types unchanged; distributes over unions. Lets a
 *  test say "exactly a Float64Array" whether the library declares
 *  `Float64Array` or the more precise `Float64Array<ArrayBuffer>`. */
export type NormArrays<R> =
  R extends Uint8Array<infer _>
    ? Uint8Array
    : R extends Int32Array<infer _>
      ? Int32Array
      : R extends Uint32Array<infer _>
        ? Uint32Array
        : R extends BigInt64Array<infer _>
          ? BigInt64Array
          : R extends BigUint64Array<infer _>
            ? BigUint64Array
            : R extends Float64Array<infer _>
              ? Float64Array
              : R;

/** Equals, up to typed arrays' buffer type argument. */
export type Same<A, B> = Equals<NormArrays<A>, NormArrays<B>>;

/** A value of any type, for arguments whose value does not matter. */
export declare const anything: never;
