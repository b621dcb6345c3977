// Global constants computed when the program is built.
//
// A global constant is a value, computed once from constants and pure functions,
// so its value is known before the service starts. The driver computes every
// global with this interpreter when it checks a program: one that traps would trap
// at every start of the service, so the trap is a build error instead, at the
// global, with a note at the place that stopped. That is how a mistake in a file
// embedded at build time (a zone, a page) is found by `cleave build`, with the
// file's line when the program's own check says it (`fatalError("zone:12: …")`).
//
// What this cannot do, it leaves to the start of the service, where the same
// computation runs as before: globals that take longer than `seconds` to compute
// here, values larger than `size` elements, calls nested deeper than `depth` (the
// compiler's own stack is not the service's), or a C function. (Only whether a
// trap is found at build time depends on the machine's speed, never what is found.)

import CleaveDiagnostics
import CleaveSema
import Dispatch

/// A global constant whose computation traps.
public struct GlobalTrap: Sendable {
    /// Its index in the program's globals.
    public let global: Int
    public let message: String
    /// Where it stopped.
    public let span: SourceSpan
}

extension Interpreter {
    /// The first global (in an order they can be computed in) whose computation traps, within
    /// `seconds`, values of at most `size` elements and calls nested at most `depth` deep; nil
    /// when none does or the computation would take more than that.
    public static func trappingGlobal(_ program: TypedProgram, seconds: Double, size: Int, depth: Int) -> GlobalTrap? {
        guard case .success(let order) = globalInitializationOrder(program) else { return nil }
        let interpreter = Interpreter(program, name: "", netifs: [], output: { _ in })
        interpreter.deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        interpreter.sizeLimit = Int128(size)
        interpreter.depthLimit = depth
        for k in order {
            do {
                _ = try interpreter.global(k)
            } catch let t as Trap {
                return GlobalTrap(global: k, message: t.message, span: t.span)
            } catch {
                return nil  // too long or too large, or C: the service computes it when it starts
            }
        }
        return nil
    }
}
