// Type declarations for scripts/mksizeclasses.mjs (plain JavaScript), so
// TypeScript code such as test/sizeclasses.test.ts can import it.

export declare const PAGE_SHIFT: number;
export declare const PAGE_SIZE: number;
export declare const MAX_SMALL_SIZE: number;
export declare const SMALL_SIZE_DIV: number;
export declare const SMALL_SIZE_MAX: number;
export declare const LARGE_SIZE_DIV: number;
/** Number of classes including the dummy class 0 (which stands for "large"). */
export declare const NUM_SIZE_CLASSES: number;

/** Repository-relative path of the generated file. */
export declare const OUTPUT_RELATIVE: string;
/** Absolute path of the generated file. */
export declare const OUTPUT_FILE: string;

export interface SizeClass {
  /** Object size in bytes (0 for class 0). */
  size: number;
  /** Pages per span (0 for class 0). */
  npages: number;
  /** Objects per span: floor(npages * PAGE_SIZE / size) (0 for class 0). */
  nelems: number;
  /** Bytes left over at the end of a span (0 for class 0). */
  tailWaste: number;
}

export interface SizeClassTables {
  /** Indexed by class number; classes[0] is the dummy "large" class. */
  classes: SizeClass[];
  /** Class by ceil(size / 8), for size 0..1024 (129 entries). */
  sizeToClass8: number[];
  /** Class by ceil((size - 1024) / 128), for size 1024..32768 (249 entries). */
  sizeToClass128: number[];
  /** Per class: 0xFFFFFFFF / size + 1 (integer division), 0 for class 0. */
  divMagic: number[];
}

/** Derive the size classes and lookup tables. */
export declare function generate(): SizeClassTables;

/** Size to class via the tables, as the AssemblyScript sizeToClass does it. Precondition: 0 < size <= 32768. */
export declare function sizeToClass(gen: SizeClassTables, size: number): number;

/** Worst-case fraction of a span lost for class c (rounding loss plus tail waste). */
export declare function maxWaste(classes: SizeClass[], c: number): number;

/** The complete text of assembly/mem/sizeclasses.ts. */
export declare function render(gen?: SizeClassTables): string;
