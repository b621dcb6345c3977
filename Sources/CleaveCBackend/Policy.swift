// The sandbox of each component of the isolated target: which system calls it
// may make once its set-up is over.
//
// A component's filter is default-deny. It allows, and nothing else:
//   - what every component needs: its channels (futex), the allocator (brk,
//     and mmap/mprotect without PROT_EXEC, munmap, mremap, madvise; getrandom,
//     which glibc's first malloc calls), writing its messages and traps to
//     standard error, returning from a signal handler or resuming a call it
//     interrupted (rt_sigreturn, restart_syscall), and leaving;
//   - what its devices need, by kind: a UdpDevice's netifs (sockets, or a
//     replayed capture), a FrameDevice's (a TAP descriptor, or captures) and a
//     TcpDevice's (listeners, epoll, and the connections it accepts);
//   - the system calls behind the system-header C functions its program calls
//     (SystemCallTable). A system function the table does not know is a
//     warning naming it: the component would be stopped by its sandbox the
//     first time it made the call.
// Every call that takes a descriptor as its first argument is allowed on the
// component's own descriptors only: its devices', its stop pipe, standard
// output and error (a TcpDevice's calls on its connections, whose descriptors
// come and go, on any: accept4 on its listeners is its only way to one). A component without devices thus has no network and no
// file system: it cannot open, create or reach anything.

import CleaveDiagnostics
import CleaveIR
import CleavePasses
import CleaveSema

public struct PolicyRule: Sendable, Hashable {
    public enum Argument: Sendable, Hashable {
        /// Any arguments.
        case any
        /// The first argument is one of the component's own descriptors.
        case descriptors
        /// The protection asked for does not include PROT_EXEC.
        case noExec
        /// Any descriptor: those its device creates as it goes (a TcpDevice's connections).
        case created

        var cName: String {
            switch self {
            case .any: "CL_RULE_ANY"
            case .descriptors: "CL_RULE_DESCRIPTORS"
            case .noExec: "CL_RULE_NO_EXEC"
            case .created: "CL_RULE_ANY"
            }
        }

        public var description: String {
            switch self {
            case .any: ""
            case .descriptors: "on its own descriptors"
            case .noExec: "without PROT_EXEC"
            case .created: "on any descriptor (connections come and go)"
            }
        }
    }

    public let systemCall: String
    public let argument: Argument
    /// Why the component needs it ("channels", "UdpDevice", "poll()").
    public let reasons: [String]
}

enum Policy {
    /// System calls whose first argument is a descriptor.
    static let takesDescriptor: Set<String> = [
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "close", "fstat", "newfstatat",
        "lseek", "recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "fcntl", "ioctl", "getsockopt",
        "setsockopt", "getsockname", "getpeername", "fsync", "fdatasync", "ftruncate", "shutdown", "bind", "connect",
        "listen", "accept", "accept4", "epoll_ctl", "epoll_wait", "epoll_pwait", "getdents64", "fchmod", "fchown",
        "flock", "sendfile", "splice", "statx",
    ]

    static let noExec: Set<String> = ["mmap", "mprotect"]

    static let everyComponent: [(String, [String])] = [
        ("futex", ["channels"]), ("sched_yield", ["channels"]),
        ("brk", ["memory"]), ("mmap", ["memory"]), ("munmap", ["memory"]), ("mremap", ["memory"]),
        ("madvise", ["memory"]), ("mprotect", ["memory"]),
        ("write", ["messages on standard error"]),
        ("rt_sigreturn", ["signals"]), ("restart_syscall", ["signals"]),
        ("getrandom", ["memory"]),
        ("exit", ["leaving"]), ("exit_group", ["leaving"]),
    ]

    static let devices: [String: [String]] = [
        // udp: poll and batches of datagrams; pcap: a replayed capture and the replies' capture.
        "UdpDevice": [
            "poll", "ppoll", "recvmmsg", "sendmmsg", "sendto", "read", "write", "lseek", "fstat", "newfstatat", "close",
        ],
        // tap: a non-blocking descriptor, waited on with poll; pcap: captures as for UdpDevice.
        "FrameDevice": ["read", "write", "lseek", "fstat", "newfstatat", "close", "clock_gettime", "poll", "ppoll"],
        // listeners and the connections they accept, waited on with epoll.
        "TcpDevice": [
            "epoll_wait", "epoll_pwait", "epoll_ctl", "accept4", "recvfrom", "sendto", "setsockopt", "shutdown", "close",
            "read", "clock_gettime",
        ],
    ]

    /// Calls a device makes on descriptors it creates itself once its sandbox is loaded (a
    /// TcpDevice's connections, which `accept4` gives it on its own listeners): allowed on
    /// any descriptor, there being no other way to come by one.
    static let onCreatedDescriptors: [String: Set<String>] = [
        "TcpDevice": ["epoll_ctl", "recvfrom", "sendto", "setsockopt", "shutdown", "close"]
    ]

    /// What a component with these devices allows `call` on.
    static func argument(of call: String, deviceTypes: [String]) -> PolicyRule.Argument {
        if deviceTypes.contains(where: { onCreatedDescriptors[$0]?.contains(call) ?? false }) { return .created }
        return takesDescriptor.contains(call) ? .descriptors : noExec.contains(call) ? .noExec : .any
    }

    /// The rules of component `k`, and warnings for system functions the table does not know.
    static func rules(
        component k: Int, projected: ProjectedProgram, cFunctions: [FunctionID: SourceSpan], deviceTypes: [String]
    )
        -> ([PolicyRule], [Diagnostic])
    {
        var order: [String] = []
        var reasons: [String: [String]] = [:]
        func allow(_ call: String, _ why: String) {
            if reasons[call] == nil { order.append(call) }
            if !(reasons[call] ?? []).contains(why) { reasons[call, default: []].append(why) }
        }
        for (call, why) in everyComponent { for w in why { allow(call, w) } }
        for d in deviceTypes { for call in devices[d] ?? [] { allow(call, d) } }
        var warnings: [Diagnostic] = []
        let typed = projected.program.typed
        for (id, call) in cFunctions.sorted(by: { $0.key.index < $1.key.index }) {
            let f = typed.function(id)
            guard case .c(let isSystem) = f.kind, isSystem else { continue }
            guard let calls = SystemCallTable.systemCalls(of: f.name) else {
                var d = Diagnostic(.unknownSystemFunction(f.name, component: projected.components[k].component.name), at: call)
                d.notes = [
                    DiagnosticNote("'\(f.name)' is declared here", at: f.span),
                    DiagnosticNote("its sandbox allows only the system calls it is known to need", at: nil),
                ]
                warnings.append(d)
                continue
            }
            for call in calls { allow(call, "\(f.name)()") }
        }
        let rules = order.map { call in
            PolicyRule(systemCall: call, argument: argument(of: call, deviceTypes: deviceTypes), reasons: reasons[call] ?? [])
        }
        return (rules, warnings)
    }

    /// `cleave build --print-policy`: every component's allowed system calls, and why.
    static func describe(_ components: [(name: String, file: String, policy: [PolicyRule])]) -> String {
        var out = ""
        for c in components {
            out += "component \(c.name) (\(c.file)): \(c.policy.count) system calls\n"
            let width = c.policy.map { $0.systemCall.count }.max() ?? 0
            for r in c.policy {
                let name = r.systemCall.padding(toLength: width, withPad: " ", startingAt: 0)
                let condition = r.argument.description
                out += "  \(name)  \(condition.isEmpty ? "" : condition + "; ")for \(r.reasons.joined(separator: ", "))\n"
            }
        }
        return out
    }
}

extension IsolatedProgram {
    /// Every component's sandbox policy, as `cleave build --print-policy` shows it.
    public var policyDescription: String { Policy.describe(components.map { ($0.name, $0.file, $0.policy) }) }
}
