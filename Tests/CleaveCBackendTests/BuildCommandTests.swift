// `cleave build` and `cleave run` as a user meets them: --emit-c keeps readable
// C, a C compiler that fails is reported as an internal error naming the
// generated file, a program with errors builds nothing, and `cleave run`
// passes the arguments after `--` to the service.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct BuildCommandTests {
    @Test func emitCKeepsReadableC() throws {
        let dir = "\(BuiltServices.directory)/emit-kv"
        let r = try runProcess(
            Repo.cleaveBinary, ["build", Repo.path("Examples/kv/kv.clv"), "-o", "\(dir)/kv", "--emit-c", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let c = try String(contentsOfFile: "\(dir)/kv.c", encoding: .utf8)
        // One C function per state method, named after it, with the source line.
        #expect(c.contains("/* kv.clv:21: state method Store.answer */"))
        #expect(c.contains("cl_bytes m_Store_answer_"))
        #expect(c.contains("void cleave_main(void)"))
        #expect(FileManager.default.isExecutableFile(atPath: "\(dir)/kv"))
    }

    @Test func aFailingCCompilerIsAnInternalErrorNamingTheFile() throws {
        // A C compiler that compiles the runtime but fails on the generated file.
        let wrapper = "\(BuiltServices.directory)/cc-failing-on-echo"
        try """
        #!/bin/sh
        for a in "$@"; do case "$a" in *echo.c) echo "echo.c:1:1: error: made up" >&2; exit 1;; esac; done
        exec cc "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        // The generated C is kept for the report to name: in the scratch directory, not the system's.
        let r = try runProcess(
            Repo.cleaveBinary, ["build", Repo.path("Examples/echo/echo.clv"), "-o", "\(BuiltServices.directory)/never"],
            environment: ["CC": wrapper, "TMPDIR": Scratch.path("failed-cc") + "/"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("internal error in stage 'cc'"), "\(r.stderr)")
        #expect(r.stderr.contains("failed on the generated file /"), "\(r.stderr)")
        #expect(r.stderr.contains("echo.c:1:1: error: made up"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(BuiltServices.directory)/never"))
    }

    @Test func aHeaderFromASystemSubdirectoryBuildsForEveryTarget() throws {
        for build in [[], ["--target", "isolated"]] {
            let service = try ServiceProcess(
                BuiltServices.runnable("Tests/Inputs/cimport/subdirectory.clv", arguments: build), ["--netif", "udp:0"])
            let client = try UDPClient()
            #expect(try client.request("a".bytes, to: service.port(7100))?.text == "1", "\(build)")
            #expect(try client.request("b".bytes, to: service.port(7100))?.text == "2", "\(build)")
            #expect(service.stop().status == 0)
        }
    }

    @Test func anOutputNobodyCanWriteIsAUsageError() throws {
        let r = try runProcess(Repo.cleaveBinary, ["build", Repo.path("Examples/echo/echo.clv"), "-o", "/nonexistent/dir/echo"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot write the executable '/nonexistent/dir/echo'"), "\(r.stderr)")
        #expect(!r.stderr.contains("internal error"), "\(r.stderr)")
    }

    @Test func aProgramWithErrorsBuildsNothing() throws {
        let source = "\(BuiltServices.directory)/broken.clv"
        try "func main() {\n    let x: Bool = 1\n}\n".write(toFile: source, atomically: true, encoding: .utf8)
        let out = "\(BuiltServices.directory)/broken"
        let r = try runProcess(Repo.cleaveBinary, ["build", source, "-o", out])
        #expect(r.status == 1)
        #expect(r.stderr.contains("broken.clv:2:19: error:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func runEndsAsTheServiceDoesAndLeavesNothingBehind() throws {
        // 300 requests to the counter, which traps at the 256th: `cleave run` exits 1 as the service
        // does, for either target, and its build is gone from the temporary directory afterwards.
        let tmp = Scratch.path("run-tmp")
        let requests = (1...300).map { UDPDatagram(sourcePort: UInt16(1000 + $0), destinationPort: 9600, payload: "r".bytes) }
        try Pcap.write(requests, to: "\(tmp)/../run-counter-in.pcap")
        for target in ["unikernel", "isolated"] {
            let r = try runProcess(
                Repo.cleaveBinary,
                [
                    "run", Repo.path("Tests/Inputs/Isolated/counter.clv"), "--target", target, "--", "--netif",
                    "pcap:\(tmp)/../run-counter-in.pcap:\(tmp)/../run-counter-out-\(target).pcap",
                ], environment: ["TMPDIR": tmp + "/"])
            #expect(r.status == 1, "\(target): \(r.stderr.split(separator: "\n").suffix(3))")
            #expect(r.stderr.contains("counter.clv:11:9: fatal error: arithmetic overflow in +"), "\(target)")
            #expect(try Pcap.readUDP("\(tmp)/../run-counter-out-\(target).pcap").count == 255, "\(target)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty, "\(target): left behind")
        }
    }

    @Test func runPassesArgumentsToTheService() throws {
        let dir = BuiltServices.directory
        try Pcap.write([UDPDatagram(sourcePort: 7, destinationPort: 8080, payload: "hi".bytes)], to: "\(dir)/run-in.pcap")
        try Pcap.write(
            [UDPDatagram(sourcePort: 7, destinationPort: 7000, payload: "SET a 1".bytes)], to: "\(dir)/run-in-kv.pcap")
        let r = try runProcess(
            Repo.cleaveBinary,
            ["run", Repo.path("Examples/echo/echo.clv"), "--", "--netif", "pcap:\(dir)/run-in.pcap:\(dir)/run-out.pcap"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Pcap.readUDP("\(dir)/run-out.pcap").map { $0.payload.text } == ["hi"])

        // Isolated: the launcher runs, with the same arguments, and its components answer.
        let isolated = try runProcess(
            Repo.cleaveBinary,
            [
                "run", Repo.path("Examples/kv/kv.clv"), "--target", "isolated", "--", "--netif",
                "pcap:\(dir)/run-in-kv.pcap:\(dir)/run-out-kv.pcap",
            ])
        #expect(isolated.status == 0, "\(isolated.stderr)")
        #expect(isolated.stderr.contains("kv: component store: 1 message sent, 1 received"), "\(isolated.stderr)")
        #expect(try Pcap.readUDP("\(dir)/run-out-kv.pcap").map { $0.payload.text } == ["STORED"])
    }
}
