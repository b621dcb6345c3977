// The table of the C library's system calls: every name in it is one
// libseccomp resolves to an x86-64 system call (a misspelt name would make a
// component's filter fail to load), and the rows the sandbox leans on most say
// what glibc does. The rows themselves are measured by
// scripts/syscall-table/probe.py, which needs strace and is run by hand.

import CleaveTestSupport
import Foundation
import Testing

@testable import CleaveCBackend

@Suite struct SystemCallTableTests {
    /// Reads system call names, one a line, and prints those libseccomp does not resolve for x86-64.
    static let resolver = """
        #include <seccomp.h>
        #include <stdio.h>
        #include <string.h>

        int main(void) {
            char line[256];
            while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, "\\n")] = 0;
                if (line[0] && seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, line) < 0) puts(line);
            }
            return 0;
        }
        """

    /// The resolver, compiled once per test run.
    static func resolverExecutable() throws -> String {
        let source = "\(BuiltServices.directory)/syscall-resolver.c"
        let executable = "\(BuiltServices.directory)/syscall-resolver"
        try resolver.write(toFile: source, atomically: true, encoding: .utf8)
        let cc = try runProcess("/usr/bin/env", ["cc", source, "-o", executable, "-lseccomp"])
        try #require(cc.status == 0, "\(cc.stderr)")
        return executable
    }

    @Test func everyNameIsKnownToLibseccomp() throws {
        let resolver = try Self.resolverExecutable()
        // The resolver tells a system call from a name that is none.
        let control = try runProcess(resolver, [], stdin: "read\nnot_a_system_call\nnewfstatat\n")
        #expect(control.status == 0, "\(control.stderr)")
        #expect(control.stdout == "not_a_system_call\n")

        let names = Set(SystemCallTable.calls.values.joined()).sorted()
        #expect(names.count > 50)
        let r = try runProcess(resolver, [], stdin: names.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty, "not x86-64 system calls for libseccomp:\n\(r.stdout)")
    }

    @Test func rowsTheSandboxReliesOn() throws {
        func calls(_ function: String) throws -> [String] {
            try #require(SystemCallTable.systemCalls(of: function), "\(function) is not in the table")
        }
        #expect(try calls("poll").contains("poll"))
        #expect(try calls("write").contains("write"))
        let malloc = try calls("malloc")
        #expect(malloc.contains("brk") || malloc.contains("mmap"), "\(malloc)")
        #expect(try calls("strlen").isEmpty)
        #expect(try calls("socket").contains("socket"))
        // glibc's names, not the functions': fstat is newfstatat, open is openat.
        #expect(try calls("fstat").contains("newfstatat"))
        #expect(try calls("open").contains("openat"))
        // A stream's output reaches its file with write; exit ends with exit_group.
        #expect(try calls("printf").contains("write"))
        #expect(try calls("exit").contains("exit_group"))
        // The vDSO's fallback is allowed.
        #expect(try calls("clock_gettime").contains("clock_gettime"))
        #expect(SystemCallTable.systemCalls(of: "not_a_c_function") == nil)
    }
}
