// What a built-in is, as a value: `TExpr.Kind.builtin` and `IROp.builtin` carry a
// `Builtin`, and every later stage (the passes, the interpreter, the C backend)
// switches over it. A built-in the compiler does not know cannot be named, and
// a switch that forgets one does not compile.
//
// Built-ins are grouped by the type they belong to. `description` is the name a
// dump prints, `Type.member` (`Bytes.split`, `Array.append`, `UInt8.parse`), or
// the free function's own name (`print`, `min`).

/// A built-in property, method, initializer or free function (Documentation/Builtins.md).
public enum Builtin: Hashable, Sendable, CustomStringConvertible {
    case bytes(BytesMember)
    case string(StringMember)
    case array(ArrayMember)
    case map(MapMember)
    case double(DoubleMember)
    /// The built-ins of each integer type: `Int.max`, `UInt8(x)`, `UInt16(truncatingIfNeeded:)`.
    case integer(IntKind, IntegerMember)
    case free(FreeFunction)
    /// What the `Lookahead` pass adds to an isolated component's `main`; never written in source.
    case lookahead(LookaheadStep)

    public enum BytesMember: Hashable, Sendable {
        case count, isEmpty, split, append, appendContents, hasPrefix, hasSuffix, trimmed, lowercased, uppercased
        case firstIndex, repeating, encode, fromArray
        /// `readUInt16(at:)`: the unsigned integer of that width at an offset, big-endian.
        case read(IntKind)
        /// `writeUInt16(_:at:)`.
        case write(IntKind)
    }

    public enum StringMember: String, Hashable, Sendable, CaseIterable {
        case count, isEmpty, hasPrefix, hasSuffix, decode, format
    }

    public enum ArrayMember: String, Hashable, Sendable, CaseIterable {
        case count, isEmpty, first, last, min, max, contains, containsWhere, firstIndex, reversed, sorted, sortedBy
        case joined, enumerated, append, appendContents, removeLast, insert, remove, swapAt, map, filter, forEach
        case reduce, repeating
    }

    public enum MapMember: String, Hashable, Sendable, CaseIterable {
        case count, isEmpty, empty, entry, keys, values, removeValue
    }

    public enum DoubleMember: String, Hashable, Sendable, CaseIterable {
        case convert, parse, squareRoot, rounded, magnitude
    }

    public enum IntegerMember: String, Hashable, Sendable, CaseIterable {
        case max, min, truncating, convert, parse
    }

    public enum FreeFunction: String, Hashable, Sendable, CaseIterable {
        case print, min, max, abs
    }

    public enum LookaheadStep: String, Hashable, Sendable, CaseIterable {
        /// `UdpDevice.readAhead`: the device takes the next datagram now, if one is there.
        case readAhead = "UdpDevice.readAhead"
        case any = "Lookahead.any"
        case push = "Lookahead.push"
        case pop = "Lookahead.pop"
    }

    public var description: String {
        switch self {
        case .bytes(.read(let k)): "Bytes.read\(k.rawValue)"
        case .bytes(.write(let k)): "Bytes.write\(k.rawValue)"
        case .bytes(let m): "Bytes.\(m)"
        case .string(let m): "String.\(m.rawValue)"
        case .array(let m): "Array.\(m.rawValue)"
        case .map(let m): "Map.\(m.rawValue)"
        case .double(let m): "Double.\(m.rawValue)"
        case .integer(let k, let m): "\(k.rawValue).\(m.rawValue)"
        case .free(let f): f.rawValue
        case .lookahead(let m): m.rawValue
        }
    }

    /// Every built-in there is.
    public static var all: [Builtin] {
        let widths: [IntKind] = [.uint8, .uint16, .uint32, .uint64]
        let bytes: [BytesMember] =
            [
                .count, .isEmpty, .split, .append, .appendContents, .hasPrefix, .hasSuffix, .trimmed, .lowercased,
                .uppercased, .firstIndex, .repeating, .encode, .fromArray,
            ] + widths.map(BytesMember.read) + widths.map(BytesMember.write)
        return bytes.map(Builtin.bytes) + StringMember.allCases.map(Builtin.string) + ArrayMember.allCases.map(Builtin.array)
            + MapMember.allCases.map(Builtin.map) + DoubleMember.allCases.map(Builtin.double)
            + IntKind.allCases.flatMap { k in IntegerMember.allCases.map { .integer(k, $0) } } + FreeFunction.allCases.map(Builtin.free)
            + LookaheadStep.allCases.map(Builtin.lookahead)
    }

    /// The built-in changes its receiver (the first operand) and gives its next version first:
    /// the next version is written back where the receiver came from.
    public var changesReceiver: Bool {
        switch self {
        case .bytes(.append), .bytes(.appendContents), .bytes(.write): true
        case .array(.append), .array(.appendContents), .array(.removeLast), .array(.insert), .array(.remove),
            .array(.swapAt):
            true
        case .map(.removeValue): true
        default: false
        }
    }

    /// Its result may be ignored without a warning.
    public var isDiscardable: Bool {
        switch self {
        case .array(.removeLast), .array(.remove), .map(.removeValue): true
        default: false
        }
    }

    /// It never traps, whatever its operands (those taking a closure aside: what they do is
    /// what the closure does). An answer an operand can make absent is an optional (`first`,
    /// `min()`, `parse`), never a trap.
    public var cannotTrap: Bool {
        switch self {
        case .bytes(let m):
            switch m {
            case .count, .isEmpty, .split, .append, .appendContents, .hasPrefix, .hasSuffix, .trimmed, .lowercased,
                .uppercased, .firstIndex, .encode, .fromArray:
                return true
            case .repeating, .read, .write: return false
            }
        case .string: return true
        case .array(let m):
            switch m {
            case .count, .isEmpty, .first, .last, .min, .max, .contains, .firstIndex, .reversed, .sorted, .joined,
                .enumerated, .append, .appendContents:
                return true
            default: return false
            }
        case .map(let m): return m != .entry
        case .double: return true
        case .integer(_, let m): return m != .convert
        case .free: return false
        case .lookahead: return true
        }
    }
}
