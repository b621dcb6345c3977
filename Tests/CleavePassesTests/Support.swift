// Running the pipeline on a small program for a pass's tests.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleavePasses
import Testing

/// The pipeline through `stage` on `text`, expecting no errors.
func passes(_ text: String, through stage: Stage, partition: [[String]]? = nil) throws -> PipelineResult {
    let result = Pipeline.run(
        [SourceFile(path: "test.clv", text: text)], through: stage, options: PipelineOptions(partition: partition))
    #expect(!result.hasErrors, "\(DiagnosticFormatter().format(result.diagnostics))")
    return result
}

/// Every statement of a block, nested blocks included.
func allStatements(_ b: IRBlock) -> [IRStmt] {
    b.stmts.flatMap { [$0] + statementParts($0).nested.flatMap(allStatements) }
}

/// A service with a stack used twice per iteration, a store used in a branch and in an
/// inner loop, and a value carried from one iteration to the next.
let threeStates = """
    import net
    state Stack {
        var count: Int = 0
        func unpack(_ b: Bytes) -> Int {
            count += 1
            return b.count
        }
        func pack(_ n: Int, _ total: inout Int) -> Bytes {
            total += n
            return Bytes("\\(count):\\(n):\\(total)")
        }
    }
    state Store {
        var sum: Int = 0
        func add(_ n: Int) -> Int {
            sum += n
            return sum
        }
    }
    func main() {
        let device = UdpDevice(port: 9300)
        let stack = Stack()
        let store = Store()
        var total = 0
        loop {
            let d = device.receive()
            var n = stack.unpack(d.payload)
            if n > 3 {
                n = store.add(n)
            }
            for i in 0..<n % 3 {
                n += store.add(i)
            }
            device.send(d.reply(stack.pack(n, &total)))
        }
    }
    """
