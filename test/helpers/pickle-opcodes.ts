// Pickle bytes written opcode by opcode, for hand-made (and hostile) checkpoints in tests.

/** UTF-8 bytes. */
export const text = (s: string): number[] => [...Buffer.from(s, 'utf8')];
/** SHORT_BINUNICODE. */
export const str = (s: string): number[] => [0x8c, Buffer.byteLength(s), ...text(s)];
/** BININT. */
export const int = (n: number): number[] => [0x4a, ...new Uint8Array(new Int32Array([n]).buffer)];
/** MARK items TUPLE. */
export const tuple = (items: number[][]): number[] => [0x28, ...items.flat(), 0x74];
/** GLOBAL module name. */
export const global = (module: string, name: string): number[] => [0x63, ...text(`${module}\n${name}\n`)];
