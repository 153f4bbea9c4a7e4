// A restricted unpickler: reads the pickle opcodes a PyTorch state dict uses
// and builds plain JS values. It never runs code: a GLOBAL is looked up in the
// caller's whitelist of JS implementations (`allow`), and any other global —
// `os.system`, `builtins.eval`, ... — stops the load with an error naming it,
// before anything after it is read. Opcodes that only arbitrary objects use
// (INST, OBJ, NEWOBJ, EXT*) are refused too.
//
// Values: str -> string, int/float -> number, None -> null, bool -> boolean,
// list -> array, tuple -> PyTuple, dict -> Map.

export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

export class UnpicklingError extends Error {}

/** A whitelisted global: what REDUCE calls with the argument tuple's items. */
export type Reducer = (...args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** `module.name` -> implementation. Anything else is refused. */
  allow: Record<string, Reducer>;
  /** Resolves persistent ids (PyTorch's storages). */
  persistentLoad?: (pid: unknown) => unknown;
  /** For messages: the file and member read. */
  source: string;
}

/** A whitelisted global as it sits on the stack (storage classes are only referenced, never called). */
export class Global {
  constructor(readonly qualified: string, readonly fn: Reducer) {}
}

export function unpickle(bytes: Uint8Array, o: UnpickleOptions): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const fail = (msg: string): never => { throw new UnpicklingError(`${o.source}: ${msg} (pickle byte ${pos})`); };
  const need = (n: number) => { if (pos + n > bytes.byteLength) fail('truncated pickle'); };
  const u8 = () => { need(1); return bytes[pos++]; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => { need(8); const v = Number(view.getBigUint64(pos, true)); pos += 8; return v; };
  const str = (n: number) => { need(n); const s = Buffer.from(bytes.buffer, bytes.byteOffset + pos, n).toString('utf8'); pos += n; return s; };
  const line = () => { const end = bytes.indexOf(0x0a, pos); if (end < 0) fail('unterminated line'); const s = str(end - pos); pos++; return s; };
  const pop = () => { if (!stack.length) fail('stack underflow'); return stack.pop(); };
  const popMark = () => { const m = marks.pop(); if (m === undefined) fail('no MARK'); const items = stack.splice(m!); return items; };
  const top = () => stack[stack.length - 1];
  const global = (module: string, name: string) => {
    const q = `${module}.${name}`;
    const fn = o.allow[q];
    if (!fn) {
      fail(`refused: the pickle references the global \`${q}\`, which a state dict never needs (allowed: ${Object.keys(o.allow).join(', ')}). ` +
        'Loading weights never runs code: save the weights with torch.save(model.state_dict()) or as .safetensors');
    }
    stack.push(new Global(q, fn));
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof Map)) fail('SETITEM(S) on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) (d as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const longFrom = (n: number) => {
    need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
    if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    pos += n;
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break;                                   // PROTO
      case 0x95: pos += 8; break;                               // FRAME
      case 0x2e: return pop();                                  // STOP
      case 0x28: marks.push(stack.length); break;               // MARK
      case 0x7d: stack.push(new Map()); break;                  // EMPTY_DICT
      case 0x5d: stack.push([]); break;                         // EMPTY_LIST
      case 0x29: stack.push(new PyTuple([])); break;            // EMPTY_TUPLE
      case 0x4e: stack.push(null); break;                       // NONE
      case 0x88: stack.push(true); break;                       // NEWTRUE
      case 0x89: stack.push(false); break;                      // NEWFALSE
      case 0x4b: stack.push(u8()); break;                       // BININT1
      case 0x4d: stack.push(u16()); break;                      // BININT2
      case 0x4a: stack.push(i32()); break;                      // BININT
      case 0x8a: stack.push(longFrom(u8())); break;             // LONG1
      case 0x8b: stack.push(longFrom(u32())); break;            // LONG4
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(str(u32())); break;                 // BINUNICODE
      case 0x8c: stack.push(str(u8())); break;                  // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break;                 // BINUNICODE8
      case 0x54: stack.push(str(u32())); break;                 // BINSTRING
      case 0x55: stack.push(str(u8())); break;                  // SHORT_BINSTRING
      case 0x42: { const n = u32(); need(n); stack.push(bytes.slice(pos, pos + n)); pos += n; break; } // BINBYTES
      case 0x43: { const n = u8(); need(n); stack.push(bytes.slice(pos, pos + n)); pos += n; break; }  // SHORT_BINBYTES
      case 0x74: stack.push(new PyTuple(popMark())); break;     // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break;       // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break;                  // LIST
      case 0x64: { const kv = popMark(); const d = new Map(); setItems(d, kv); stack.push(d); break; } // DICT
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) fail('APPEND to a non-list'); (l as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l)) fail('APPENDS to a non-list'); (l as unknown[]).push(...items); break; } // APPENDS
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; }           // SETITEMS
      case 0x71: memo.set(u8(), top()); break;                  // BINPUT
      case 0x72: memo.set(u32(), top()); break;                 // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break;             // MEMOIZE
      case 0x68: { const k = u8(); if (!memo.has(k)) fail(`memo ${k} unset`); stack.push(memo.get(k)); break; }   // BINGET
      case 0x6a: { const k = u32(); if (!memo.has(k)) fail(`memo ${k} unset`); stack.push(memo.get(k)); break; }  // LONG_BINGET
      case 0x30: pop(); break;                                  // POP
      case 0x31: popMark(); break;                              // POP_MARK
      case 0x32: stack.push(top()); break;                      // DUP
      case 0x63: { const module = line(); const name = line(); global(module, name); break; } // GLOBAL
      case 0x93: { const name = pop(), module = pop(); if (typeof name !== 'string' || typeof module !== 'string') fail('STACK_GLOBAL needs two strings'); global(module as string, name as string); break; }
      case 0x52: {                                              // REDUCE
        const args = pop(), fn = pop();
        if (!(fn instanceof Global)) fail('REDUCE of something that is not a whitelisted global');
        if (!(args instanceof PyTuple)) fail(`REDUCE of \`${(fn as Global).qualified}\` without an argument tuple`);
        try {
          stack.push((fn as Global).fn(...(args as PyTuple).items));
        } catch (err) {
          fail(`\`${(fn as Global).qualified}\`: ${(err as Error).message}`);
        }
        break;
      }
      case 0x62: {                                              // BUILD: state on an object
        const state = pop();
        // OrderedDict's state is its attributes (a state dict's `_metadata`): kept out of the weights.
        if (!(top() instanceof Map) || !(state instanceof Map || state === null)) fail('BUILD on an object other than a dict: not a state dict');
        break;
      }
      case 0x51: {                                              // BINPERSID
        const pid = pop();
        if (!o.persistentLoad) fail('a persistent id where none is expected');
        stack.push(o.persistentLoad!(pid));
        break;
      }
      default:
        fail(`refused: pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') is not one a state dict uses`);
    }
  }
}
