// Messages of the passes, sorted by id: what a program asks that the passes cannot
// do, and a partition that does not fit the program. The checker's are in
// Sources/CleaveSema/SemaDiagnostics.swift.

import CleaveDiagnostics

extension DiagnosticMessage {
    static func liftedMethodTakesStatesInout(_ method: String, _ count: Int) -> DiagnosticMessage {
        error(
            "lambda-lift-unsupported",
            "state method '\(method)' takes \(count) states inout; the passes can split a method at the calls on one")
    }
    static var liftedMethodPassesStateOn: DiagnosticMessage {
        error(
            "lambda-lift-unsupported",
            "a method that takes a state inout passes it on to another method; the passes can split a method only at direct calls on the state"
        )
    }
    static func partitionStateTwice(_ name: String) -> DiagnosticMessage {
        error("partition", "--partition puts state '\(name)' in two components")
    }
    static func partitionUnknownState(_ name: String) -> DiagnosticMessage {
        error("partition", "--partition names '\(name)', which is not a state of main")
    }
    static func stateAliased(_ original: String, _ alias: String) -> DiagnosticMessage {
        error(
            "state-aliased",
            "state '\(original)' cannot get a second name '\(alias)': no pass can keep two names of one state in one component")
    }
    static func stateCreatedInLoop(_ name: String) -> DiagnosticMessage {
        error("state-created-in-loop", "state '\(name)' is created inside a loop: a state is created once, before the service loop")
    }
}
