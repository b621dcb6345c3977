// Helpers of the driver tests (the ones other test targets need too are in
// Tests/CleaveTestSupport).

import CleaveDiagnostics
import CleaveDriver
import CleaveTestSupport
import Foundation

/// Run the pipeline in-process on source text.
func runPipeline(_ text: String, path: String = "test.clv", through stage: Stage = .typed) -> PipelineResult {
    Pipeline.run([SourceFile(path: path, text: text)], through: stage)
}
